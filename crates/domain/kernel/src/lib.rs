//! Shared kernel of DX Connect: value objects, the field-error type every validation returns,
//! pagination primitives, the domain error, and ports used by more than one domain.

pub mod cep;
pub mod clock;
pub mod error;
pub mod events;
pub mod image;
pub mod input;
pub mod invalidation;
pub mod jobs;
pub mod messages;
pub mod page;
pub mod storage;
pub mod text;
pub mod values;
pub mod whatsapp_id;

pub use clock::{Clock, SystemClock};
pub use error::{DomainError, FieldErrors, Result};
pub use events::{Audience, Event, EventPublisher};
pub use invalidation::{CacheInvalidation, Invalidation, LocalInvalidations};
pub use jobs::{JobLock, LocalJobLock};
pub use page::{OrderBy, Page, PageRequest};
pub use whatsapp_id::{CanonicalNumber, WaPeer};
