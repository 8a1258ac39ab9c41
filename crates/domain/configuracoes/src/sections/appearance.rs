//! `appearance`: logo, favicon, colours and custom CSS (free text, no format check), and its
//! PATCH.

use super::SectionData;
use crate::model::{AppearanceFile, Section};
use crate::stored::{Reader, Writer, set};
use serde_json::{Map, Value};

/// `appearance` as stored (see [`crate::CompanyData`] for missing and unknown keys).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Appearance {
    pub login_logo_url: Option<String>,
    pub favicon_url: Option<String>,
    pub primary_color: Option<String>,
    pub secondary_color: Option<String>,
    pub custom_css: Option<String>,
    pub extra: Map<String, Value>,
}

impl Appearance {
    pub fn from_stored(stored: &Map<String, Value>) -> Self {
        let mut r = Reader::new(stored);
        Self {
            login_logo_url: r.text("login_logo_url"),
            favicon_url: r.text("favicon_url"),
            primary_color: r.text("primary_color"),
            secondary_color: r.text("secondary_color"),
            custom_css: r.text("custom_css"),
            extra: r.rest(),
        }
    }

    /// The section as stored and as clients see it (it holds no secret).
    pub fn to_json(&self) -> Map<String, Value> {
        let mut w = Writer::new(&self.extra);
        w.put("login_logo_url", self.login_logo_url.clone());
        w.put("favicon_url", self.favicon_url.clone());
        w.put("primary_color", self.primary_color.clone());
        w.put("secondary_color", self.secondary_color.clone());
        w.put("custom_css", self.custom_css.clone());
        w.finish()
    }

    /// The URL of an appearance file (`login_logo_url` or `favicon_url`).
    pub fn file_url(&self, kind: AppearanceFile) -> Option<&str> {
        match kind {
            AppearanceFile::Logo => self.login_logo_url.as_deref(),
            AppearanceFile::Favicon => self.favicon_url.as_deref(),
        }
    }

    /// Records the URL of an appearance file; returns the one it replaces.
    pub(crate) fn replace_file_url(&mut self, kind: AppearanceFile, url: &str) -> Option<String> {
        self.extra.remove(kind.url_key());
        let field = match kind {
            AppearanceFile::Logo => &mut self.login_logo_url,
            AppearanceFile::Favicon => &mut self.favicon_url,
        };
        field.replace(url.to_string())
    }
}

impl SectionData for Appearance {
    const SECTION: Section = Section::Appearance;

    fn read(stored: &Map<String, Value>) -> Self {
        Self::from_stored(stored)
    }

    fn write(&self) -> Map<String, Value> {
        self.to_json()
    }
}

/// The appearance keys a request sets (`None`: not sent); blank is fine.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AppearancePatch {
    pub login_logo_url: Option<String>,
    pub favicon_url: Option<String>,
    pub primary_color: Option<String>,
    pub secondary_color: Option<String>,
    pub custom_css: Option<String>,
}

impl AppearancePatch {
    /// Shallow merge: each sent key replaces the stored one.
    pub(crate) fn apply(&self, a: &mut Appearance) {
        let x = &mut a.extra;
        set(
            &mut a.login_logo_url,
            &self.login_logo_url,
            "login_logo_url",
            x,
        );
        set(&mut a.favicon_url, &self.favicon_url, "favicon_url", x);
        set(
            &mut a.primary_color,
            &self.primary_color,
            "primary_color",
            x,
        );
        set(
            &mut a.secondary_color,
            &self.secondary_color,
            "secondary_color",
            x,
        );
        set(&mut a.custom_css, &self.custom_css, "custom_css", x);
    }
}
