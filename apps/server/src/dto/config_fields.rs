//! The wire side of the settings (§4.9): checks of single JSON values with the original's
//! DRF-style messages (Python type names included). Each returns the normalised value, or the
//! problem to report under the field's key. Moved here from the configurações domain crate,
//! which now takes typed commands.

use kernel::FieldErrors;
use kernel::messages as m;
use kernel::values::Email;
use serde_json::{Map, Value};

/// Why a value was refused: a list of messages, or errors of a nested object.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Problem {
    Msg(String),
    Nested(FieldErrors),
}

impl Problem {
    pub(crate) fn msg(s: impl Into<String>) -> Self {
        Problem::Msg(s.into())
    }

    /// Records this problem under `field`.
    pub(crate) fn record(self, field: &str, errors: &mut FieldErrors) {
        match self {
            Problem::Msg(msg) => errors.add(field, msg),
            Problem::Nested(nested) => errors.nest(field, nested),
        }
    }
}

pub(crate) type Checked<T> = Result<T, Problem>;

/// Checks `key` when the body has it: `None` when absent or refused (the problem recorded).
pub(crate) fn field<T>(
    body: &Map<String, Value>,
    key: &str,
    errors: &mut FieldErrors,
    check: impl FnOnce(&Value) -> Checked<T>,
) -> Option<T> {
    match check(body.get(key)?) {
        Ok(v) => Some(v),
        Err(p) => {
            p.record(key, errors);
            None
        }
    }
}

/// A value object parsed from checked text; its message is the problem.
pub(crate) fn parsed<T, E: Into<String>>(
    text: Checked<String>,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Checked<T> {
    parse(&text?).map_err(Problem::msg)
}

/// The Python type name the original's messages use for a JSON value.
pub(crate) fn py_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// `Dados inválidos. Esperado um dicionário, mas recebido <type>.`
pub(crate) fn not_a_dict(v: &Value) -> String {
    format!(
        "Dados inválidos. Esperado um dicionário, mas recebido {}.",
        py_type(v)
    )
}

/// DictField's message for a non-object value.
pub(crate) fn not_a_dict_of_items(v: &Value) -> String {
    format!(
        "Esperado um dicionário de itens mas recebido tipo \"{}\".",
        py_type(v)
    )
}

/// A nested object where a non-object is reported as `{"non_field_errors":[…]}` (or null as
/// the usual null message).
pub(crate) fn nested_object(v: &Value) -> Checked<&Map<String, Value>> {
    match v {
        Value::Object(map) => Ok(map),
        Value::Null => Err(Problem::msg(m::NULL)),
        other => Err(Problem::Nested(FieldErrors::single(
            "non_field_errors",
            not_a_dict(other),
        ))),
    }
}

/// The text of a value as DRF's `CharField` reads it: strings are trimmed, numbers become
/// their text, anything else is refused.
pub(crate) fn as_text(v: &Value) -> Checked<String> {
    match v {
        Value::String(s) => Ok(s.trim().to_string()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Null => Err(Problem::msg(m::NULL)),
        _ => Err(Problem::msg(m::NOT_A_STRING)),
    }
}

/// A string with an optional maximum length; `blank` allows `""`.
pub(crate) fn text(v: &Value, max: Option<usize>, blank: bool) -> Checked<String> {
    let s = as_text(v)?;
    if s.is_empty() && !blank {
        return Err(Problem::msg(m::BLANK));
    }
    if let Some(max) = max
        && s.chars().count() > max
    {
        return Err(Problem::msg(m::max_length(max)));
    }
    Ok(s)
}

/// A non-blank valid e-mail address.
pub(crate) fn email(v: &Value) -> Checked<Email> {
    parsed(text(v, None, false), Email::parse)
}

/// One of `choices`, compared as text (so `1` matches `"1"`).
pub(crate) fn choice(v: &Value, choices: &[&str]) -> Checked<String> {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(true) => "True".to_string(),
        Value::Bool(false) => "False".to_string(),
        Value::Null => return Err(Problem::msg(m::NULL)),
        other => other.to_string(),
    };
    if choices.contains(&s.as_str()) {
        Ok(s)
    } else {
        Err(Problem::msg(m::invalid_choice(&s)))
    }
}

/// An integer within `[min, max]`. JSON bodies need a JSON integer; form bodies (`form`) carry
/// strings, which are parsed strictly.
pub(crate) fn integer(v: &Value, min: i64, max: Option<i64>, form: bool) -> Checked<i64> {
    let n = match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) if form => parse_strict_int(s.trim()),
        Value::Null => return Err(Problem::msg(m::NULL)),
        _ => None,
    };
    let n = n.ok_or_else(|| Problem::msg(m::INTEGER))?;
    if n < min {
        return Err(Problem::msg(m::min_value(min)));
    }
    if let Some(max) = max
        && n > max
    {
        return Err(Problem::msg(m::max_value(max)));
    }
    Ok(n)
}

fn parse_strict_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A boolean as DRF's `BooleanField` reads it (JSON booleans, 0/1 and the usual words).
pub(crate) fn boolean(v: &Value) -> Checked<bool> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::Number(n) if n.as_i64() == Some(1) => Ok(true),
        Value::Number(n) if n.as_i64() == Some(0) => Ok(false),
        Value::String(s) => match s.trim() {
            "t" | "T" | "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on"
            | "On" | "ON" | "1" => Ok(true),
            "f" | "F" | "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off"
            | "Off" | "OFF" | "0" => Ok(false),
            _ => Err(Problem::msg(m::BOOLEAN)),
        },
        Value::Null => Err(Problem::msg(m::NULL)),
        _ => Err(Problem::msg(m::BOOLEAN)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn msg(p: Problem) -> String {
        match p {
            Problem::Msg(m) => m,
            Problem::Nested(n) => n.to_json().to_string(),
        }
    }

    #[test]
    fn text_rules() {
        assert_eq!(text(&json!("  a "), Some(3), false).unwrap(), "a");
        assert_eq!(text(&json!(12), None, false).unwrap(), "12");
        assert_eq!(msg(text(&json!(""), None, false).unwrap_err()), m::BLANK);
        assert_eq!(text(&json!(""), None, true).unwrap(), "");
        assert_eq!(
            msg(text(&json!("abcd"), Some(3), true).unwrap_err()),
            m::max_length(3)
        );
        assert_eq!(text(&json!("ção"), Some(3), true).unwrap(), "ção");
        assert_eq!(
            msg(text(&json!(true), None, true).unwrap_err()),
            m::NOT_A_STRING
        );
        assert_eq!(msg(text(&json!(null), None, true).unwrap_err()), m::NULL);
    }

    #[test]
    fn integer_rules() {
        assert_eq!(integer(&json!(5), 1, None, false).unwrap(), 5);
        assert_eq!(
            msg(integer(&json!(0), 1, None, false).unwrap_err()),
            m::min_value(1)
        );
        assert_eq!(
            msg(integer(&json!(70000), 1, Some(65535), false).unwrap_err()),
            m::max_value(65535)
        );
        for bad in [json!(1.5), json!(true), json!("1"), json!([1])] {
            assert_eq!(msg(integer(&bad, 1, None, false).unwrap_err()), m::INTEGER);
        }
        assert_eq!(integer(&json!(" 7 "), 1, None, true).unwrap(), 7);
        assert_eq!(
            msg(integer(&json!("7.0"), 1, None, true).unwrap_err()),
            m::INTEGER
        );
    }

    #[test]
    fn boolean_and_choice_rules() {
        assert!(boolean(&json!(true)).unwrap());
        assert!(!boolean(&json!("false")).unwrap());
        assert!(boolean(&json!(1)).unwrap());
        assert_eq!(msg(boolean(&json!("talvez")).unwrap_err()), m::BOOLEAN);
        assert_eq!(msg(boolean(&json!(2)).unwrap_err()), m::BOOLEAN);
        assert_eq!(choice(&json!(2), &["1", "2"]).unwrap(), "2");
        assert_eq!(
            msg(choice(&json!("4"), &["1", "2"]).unwrap_err()),
            "\"4\" não é um escolha válido."
        );
    }

    #[test]
    fn email_and_nested() {
        assert_eq!(email(&json!(" a@b.com ")).unwrap().as_str(), "a@b.com");
        assert_eq!(msg(email(&json!("nope")).unwrap_err()), m::EMAIL);
        assert_eq!(msg(email(&json!("")).unwrap_err()), m::BLANK);
        assert_eq!(
            msg(nested_object(&json!("x")).unwrap_err()),
            json!({"non_field_errors":["Dados inválidos. Esperado um dicionário, mas recebido str."]})
                .to_string()
        );
        assert_eq!(py_type(&json!(1.5)), "float");
        assert_eq!(py_type(&json!([])), "list");
    }
}
