//! Typed access to a request body (JSON, or form/multipart converted to strings) with the
//! contract's DRF-style validation messages. Every getter records its errors in a
//! [`FieldErrors`] and returns `None` for "absent" so that PATCH semantics fall out naturally.

use crate::FieldErrors;
use crate::messages as m;
use chrono::NaiveDate;
use serde_json::{Map, Value};

/// A request body as a JSON object. `form` is true when the body came from a form or
/// multipart request, where every value is a string and integers/booleans are parsed.
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub map: Map<String, Value>,
    pub form: bool,
}

/// A present value of a nullable field: `Some(None)` means an explicit null / empty.
pub type Nullable<T> = Option<Option<T>>;

impl Input {
    pub fn json(map: Map<String, Value>) -> Self {
        Self { map, form: false }
    }

    pub fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    pub fn raw(&self, key: &str) -> Option<&Value> {
        self.map.get(key)
    }

    /// Requires the listed keys to be present (and not null).
    pub fn require(&self, keys: &[&str], errors: &mut FieldErrors) {
        for k in keys {
            match self.map.get(*k) {
                None => errors.add(k, m::REQUIRED),
                Some(Value::Null) => errors.add(k, m::NULL),
                _ => {}
            }
        }
    }

    /// A string field. `nullable` allows null (and, for forms, an empty value means null);
    /// `blank` allows "" . Returns `Some(None)` for an accepted null.
    pub fn string(
        &self,
        key: &str,
        max: Option<usize>,
        nullable: bool,
        blank: bool,
        errors: &mut FieldErrors,
    ) -> Nullable<String> {
        let v = self.map.get(key)?;
        let s = match v {
            Value::Null if nullable => return Some(None),
            Value::Null => {
                errors.add(key, m::NULL);
                return None;
            }
            Value::String(s) => s.trim().to_string(),
            // DRF's CharField coerces numbers but refuses booleans ("unclear if booleans
            // should represent as `true` or `True`") and composites.
            Value::Number(n) => n.to_string(),
            _ => {
                errors.add(key, m::NOT_A_STRING);
                return None;
            }
        };
        // PostgreSQL cannot store U+0000 in text, and no field has a use for it.
        if s.contains('\0') {
            errors.add(key, m::NULL_CHARACTERS);
            return None;
        }
        if s.is_empty() {
            if blank {
                return Some(Some(s));
            }
            if nullable && self.form {
                return Some(None);
            }
            errors.add(key, m::BLANK);
            return None;
        }
        if let Some(max) = max.filter(|max| s.chars().count() > *max) {
            errors.add(key, m::max_length(max));
            return None;
        }
        Some(Some(s))
    }

    /// A non-null string (helper over [`Input::string`]).
    pub fn text(
        &self,
        key: &str,
        max: Option<usize>,
        blank: bool,
        errors: &mut FieldErrors,
    ) -> Option<String> {
        self.string(key, max, false, blank, errors).flatten()
    }

    /// An integer. JSON integers only; forms parse strings strictly.
    pub fn int(&self, key: &str, nullable: bool, errors: &mut FieldErrors) -> Nullable<i64> {
        let v = self.map.get(key)?;
        match parse_int(v, self.form) {
            IntParse::Null if nullable => Some(None),
            IntParse::Null => {
                errors.add(key, m::NULL);
                None
            }
            IntParse::Ok(n) => Some(Some(n)),
            IntParse::Invalid => {
                errors.add(key, m::INTEGER);
                None
            }
        }
    }

    /// An integer with inclusive bounds.
    pub fn int_range(
        &self,
        key: &str,
        min: Option<i64>,
        max: Option<i64>,
        errors: &mut FieldErrors,
    ) -> Option<i64> {
        let n = self.int(key, false, errors).flatten()?;
        if let Some(min) = min.filter(|min| n < *min) {
            errors.add(key, m::min_value(min));
            return None;
        }
        if let Some(max) = max.filter(|max| n > *max) {
            errors.add(key, m::max_value(max));
            return None;
        }
        Some(n)
    }

    /// A boolean: JSON bool, or (any source) "true/false/1/0/yes/no/on/off".
    pub fn boolean(&self, key: &str, errors: &mut FieldErrors) -> Option<bool> {
        let v = self.map.get(key)?;
        match parse_bool(v) {
            Some(b) => Some(b),
            None => {
                errors.add(key, if v.is_null() { m::NULL } else { m::BOOLEAN });
                None
            }
        }
    }

    /// One of `choices`.
    pub fn choice(&self, key: &str, choices: &[&str], errors: &mut FieldErrors) -> Option<String> {
        let v = self.map.get(key)?;
        let s = match v {
            Value::String(s) => s.clone(),
            Value::Null => {
                errors.add(key, m::NULL);
                return None;
            }
            other => other.to_string(),
        };
        if choices.contains(&s.as_str()) {
            Some(s)
        } else {
            errors.add(key, m::invalid_choice(&s));
            None
        }
    }

    /// A nullable e-mail address.
    pub fn email(
        &self,
        key: &str,
        nullable: bool,
        blank: bool,
        errors: &mut FieldErrors,
    ) -> Nullable<String> {
        let v = self.string(key, Some(254), nullable, blank, errors)?;
        match v {
            Some(s) if !s.is_empty() && !crate::values::is_valid_email(&s) => {
                errors.add(key, m::EMAIL);
                None
            }
            other => Some(other),
        }
    }

    /// A nullable `YYYY-MM-DD` date.
    pub fn date(&self, key: &str, nullable: bool, errors: &mut FieldErrors) -> Nullable<NaiveDate> {
        let v = self.string(key, None, nullable, false, errors)?;
        match v {
            None => Some(None),
            Some(s) => match NaiveDate::parse_from_str(&s, "%Y-%m-%d") {
                Ok(d) => Some(Some(d)),
                Err(_) => {
                    errors.add(key, m::DATE);
                    None
                }
            },
        }
    }

    /// A list of integer ids (JSON array; forms may send a comma-separated string).
    pub fn int_list(&self, key: &str, errors: &mut FieldErrors) -> Option<Vec<i64>> {
        let v = self.map.get(key)?;
        let items: Vec<Value> = match v {
            Value::Array(a) => a.clone(),
            Value::String(s) if self.form => s
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| Value::String(p.to_string()))
                .collect(),
            Value::Null => {
                errors.add(key, m::NULL);
                return None;
            }
            other => {
                errors.add(key, m::NOT_A_LIST.replace("{}", json_type(other)));
                return None;
            }
        };
        let mut out = Vec::with_capacity(items.len());
        for it in &items {
            match parse_int(it, self.form) {
                IntParse::Ok(n) => out.push(n),
                _ => {
                    errors.add(key, m::invalid_pk(&display(it)));
                    return None;
                }
            }
        }
        Some(out)
    }
}

enum IntParse {
    Ok(i64),
    Null,
    Invalid,
}

fn parse_int(v: &Value, form: bool) -> IntParse {
    match v {
        Value::Null => IntParse::Null,
        Value::Number(n) => n.as_i64().map_or(IntParse::Invalid, IntParse::Ok),
        Value::String(s) if form => {
            let t = s.trim();
            if t.is_empty() {
                IntParse::Null
            } else {
                t.parse().map_or(IntParse::Invalid, IntParse::Ok)
            }
        }
        _ => IntParse::Invalid,
    }
}

/// Parses a boolean from JSON or text (`true/false/1/0/yes/no/on/off`, case-insensitive).
pub fn parse_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_i64() {
            Some(1) => Some(true),
            Some(0) => Some(false),
            _ => None,
        },
        Value::String(s) => parse_bool_str(s),
        _ => None,
    }
}

pub fn parse_bool_str(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" | "t" | "y" => Some(true),
        "false" | "0" | "no" | "off" | "f" | "n" => Some(false),
        _ => None,
    }
}

/// Name of a JSON value's type (for error messages).
pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_i64() || n.is_u64() => "int",
        Value::Number(_) => "float",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

fn display(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input(v: Value) -> Input {
        Input::json(v.as_object().cloned().unwrap())
    }

    #[test]
    fn null_characters_are_refused() {
        let i = input(json!({"a":"ab\u{0}cd","b":"\u{0}"}));
        let mut e = FieldErrors::new();
        assert_eq!(i.string("a", None, true, true, &mut e), None);
        assert_eq!(i.text("b", None, true, &mut e), None);
        assert_eq!(
            e.to_json(),
            json!({"a":[m::NULL_CHARACTERS],"b":[m::NULL_CHARACTERS]})
        );
    }

    #[test]
    fn strings() {
        let i = input(json!({"a":"  x ","b":"","c":null,"d":"toolong","e":5,"f":[1],"g":false}));
        let mut e = FieldErrors::new();
        assert_eq!(
            i.string("a", Some(5), false, false, &mut e),
            Some(Some("x".into()))
        );
        assert_eq!(
            i.string("b", None, true, true, &mut e),
            Some(Some("".into()))
        );
        assert_eq!(i.string("c", None, true, false, &mut e), Some(None));
        assert_eq!(i.string("zz", None, true, false, &mut e), None);
        assert!(e.is_empty());
        assert_eq!(i.string("b", None, false, false, &mut e), None);
        assert_eq!(i.string("d", Some(3), false, false, &mut e), None);
        assert_eq!(
            i.string("e", None, false, false, &mut e),
            Some(Some("5".into()))
        );
        assert_eq!(i.string("f", None, false, false, &mut e), None);
        assert_eq!(i.string("g", None, false, false, &mut e), None);
        assert_eq!(
            e.to_json(),
            json!({"b":[m::BLANK],"d":[m::max_length(3)],"f":[m::NOT_A_STRING],"g":[m::NOT_A_STRING]})
        );
    }

    #[test]
    fn ints_and_bools() {
        let i = input(json!({"a":1,"b":"1","c":1.5,"d":true,"e":"yes","f":"x"}));
        let mut e = FieldErrors::new();
        assert_eq!(i.int("a", false, &mut e), Some(Some(1)));
        assert_eq!(i.int("b", false, &mut e), None);
        assert_eq!(i.int("c", false, &mut e), None);
        assert_eq!(i.int("d", false, &mut e), None);
        assert_eq!(
            e.to_json(),
            json!({"b":[m::INTEGER],"c":[m::INTEGER],"d":[m::INTEGER]})
        );
        let mut form = i.clone();
        form.form = true;
        let mut e = FieldErrors::new();
        assert_eq!(form.int("b", false, &mut e), Some(Some(1)));
        assert_eq!(form.boolean("e", &mut e), Some(true));
        assert_eq!(form.boolean("f", &mut e), None);
        assert!(e.has("f"));
    }

    #[test]
    fn ranges_choices_lists() {
        let i = input(json!({"p":0,"c":"x","l":[1,"2"],"m":"no"}));
        let mut e = FieldErrors::new();
        assert_eq!(i.int_range("p", Some(1), None, &mut e), None);
        assert_eq!(i.choice("c", &["a"], &mut e), None);
        assert_eq!(i.int_list("l", &mut e), None);
        assert_eq!(i.int_list("m", &mut e), None);
        assert_eq!(
            e.to_json(),
            json!({"p":[m::min_value(1)],"c":[m::invalid_choice("x")],"l":[m::invalid_pk("2")],
                   "m":["Esperado uma lista de itens mas recebido tipo \"str\"."]})
        );
    }
}
