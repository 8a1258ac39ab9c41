//! File storage under `MEDIA_ROOT` and the helpers the `/media/...` route needs:
//!
//! * [`LocalFileStorage`] — implements [`kernel::storage::FileStorage`]: streamed writes into a
//!   hidden temporary file, committed under a sanitized, never-overwriting name;
//! * [`MediaUrlSigner`] — HMAC-SHA256 signed, expiring media links (contract §4.13);
//! * [`content_type_for`] — `Content-Type` from a file extension.

mod content_type;
mod local;
mod names;
mod signer;

pub use content_type::{content_type_for, serve_as_attachment};
pub use local::{LocalFileStorage, LocalFileWriter};
pub use names::{sanitize_dir, sanitize_file_name, sanitize_relative_path};
pub use signer::{MediaUrlSigner, is_public};
