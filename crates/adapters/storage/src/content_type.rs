//! `Content-Type` from a file name's extension.

/// The media type for `path`'s extension (case-insensitive); `application/octet-stream` when
/// unknown or absent. Text types carry `charset=utf-8` (our generated files are UTF-8).
pub fn content_type_for(path: &str) -> &'static str {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let Some((stem, ext)) = name.rsplit_once('.') else {
        return "application/octet-stream";
    };
    if stem.is_empty() {
        return "application/octet-stream";
    }
    match ext.to_ascii_lowercase().as_str() {
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" | "jfif" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "bmp" => "image/bmp",
        "tif" | "tiff" => "image/tiff",
        "heic" => "image/heic",
        "txt" => "text/plain; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "xml" => "application/xml",
        "json" => "application/json",
        "zip" => "application/zip",
        "rar" => "application/vnd.rar",
        "7z" => "application/x-7z-compressed",
        "gz" => "application/gzip",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ppt" => "application/vnd.ms-powerpoint",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "odt" => "application/vnd.oasis.opendocument.text",
        "ods" => "application/vnd.oasis.opendocument.spreadsheet",
        "rtf" => "application/rtf",
        "mp3" => "audio/mpeg",
        "ogg" | "oga" | "opus" => "audio/ogg",
        "wav" => "audio/wav",
        "m4a" => "audio/mp4",
        "aac" => "audio/aac",
        "amr" => "audio/amr",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "mov" => "video/quicktime",
        "3gp" => "video/3gpp",
        _ => "application/octet-stream",
    }
}

/// True for files a browser could execute as a page (HTML, SVG, XML, JavaScript): uploaded
/// documents are arbitrary, so the media route should send these with
/// `Content-Disposition: attachment` (plus `X-Content-Type-Options: nosniff` on every file) so an
/// uploaded page cannot run script on our origin. `<img src>` still renders an SVG logo.
pub fn serve_as_attachment(path: &str) -> bool {
    let ext = path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    matches!(
        ext.as_str(),
        "html" | "htm" | "xhtml" | "shtml" | "svg" | "svgz" | "xml" | "xsl" | "js" | "mjs"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_content_is_attachment() {
        assert!(serve_as_attachment("clientes/documentos/x.HTML"));
        assert!(serve_as_attachment("appearance/logo.svg"));
        assert!(!serve_as_attachment("clientes/documentos/x.pdf"));
        assert!(!serve_as_attachment("noext"));
    }

    #[test]
    fn known_and_unknown() {
        assert_eq!(
            content_type_for("clientes/documentos/a.PDF"),
            "application/pdf"
        );
        assert_eq!(content_type_for("appearance/x.jpeg"), "image/jpeg");
        assert_eq!(content_type_for("a.svg"), "image/svg+xml");
        assert_eq!(content_type_for("a.txt"), "text/plain; charset=utf-8");
        assert_eq!(
            content_type_for("a.xlsx"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        assert_eq!(content_type_for("a.ogg"), "audio/ogg");
        assert_eq!(content_type_for("a.exe"), "application/octet-stream");
        assert_eq!(content_type_for("noext"), "application/octet-stream");
        assert_eq!(content_type_for(".pdf"), "application/octet-stream");
        assert_eq!(
            content_type_for("dir.pdf/noext"),
            "application/octet-stream"
        );
    }
}
