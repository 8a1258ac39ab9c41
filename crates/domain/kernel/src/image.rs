//! Image formats recognised by their signature (magic bytes), never by a client-supplied name
//! or content type: an HTML page named `logo.png` is not an image.

/// The raster formats we accept for uploaded images.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Png,
    Jpeg,
    Gif,
    Webp,
    /// Windows icon (`00 00 01 00`), accepted for favicons only.
    Ico,
}

impl ImageKind {
    /// Recognises the format from the first bytes of `data`.
    pub fn sniff(data: &[u8]) -> Option<Self> {
        if data.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if data.starts_with(b"GIF87a") || data.starts_with(b"GIF89a") {
            Some(Self::Gif)
        } else if data.len() > 12 && &data[..4] == b"RIFF" && &data[8..12] == b"WEBP" {
            Some(Self::Webp)
        } else if data.len() > 4 && data.starts_with(&[0x00, 0x00, 0x01, 0x00]) {
            Some(Self::Ico)
        } else {
            None
        }
    }

    /// The file extension (with its dot) a stored file of this kind gets, so that it is
    /// always served with the content type of what it really holds.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Png => ".png",
            Self::Jpeg => ".jpg",
            Self::Gif => ".gif",
            Self::Webp => ".webp",
            Self::Ico => ".ico",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ImageKind;

    #[test]
    fn recognises_each_format_by_its_signature() {
        assert_eq!(
            ImageKind::sniff(b"\x89PNG\r\n\x1a\n...."),
            Some(ImageKind::Png)
        );
        assert_eq!(
            ImageKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some(ImageKind::Jpeg)
        );
        assert_eq!(ImageKind::sniff(b"GIF89a.."), Some(ImageKind::Gif));
        assert_eq!(
            ImageKind::sniff(b"RIFF\0\0\0\0WEBPVP8 "),
            Some(ImageKind::Webp)
        );
        assert_eq!(
            ImageKind::sniff(&[0, 0, 1, 0, 1, 0, 16, 16]),
            Some(ImageKind::Ico)
        );
    }

    #[test]
    fn refuses_html_svg_and_fragments() {
        assert_eq!(ImageKind::sniff(b"<html><script>alert(1)</script>"), None);
        assert_eq!(
            ImageKind::sniff(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
            None
        );
        assert_eq!(ImageKind::sniff(b"<?xml version=\"1.0\"?><svg/>"), None);
        assert_eq!(ImageKind::sniff(&[0, 0, 1, 0]), None);
        assert_eq!(ImageKind::sniff(b""), None);
        assert_eq!(ImageKind::sniff(b"RIFF\0\0\0\0WAVE    "), None);
    }
}
