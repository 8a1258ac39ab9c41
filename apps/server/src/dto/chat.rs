//! Parsing of the chat-intake bodies (`buscar-contato`, `dados-capturados`,
//! `cadastro-manual`, contract §4.2) into the domain's typed data, with the contract's
//! DRF-style field errors, and the echo of the validated fields that `dados-capturados`
//! answers with.

use clientes::chat::DadosCapturados;
use clientes::commands::{CARGO_MAX_CHARS, NOME_MAX_CHARS};
use kernel::FieldErrors;
use kernel::input::Input;
use kernel::values::{Cnpj, Email, Whatsapp};
use serde_json::{Map, Value};

/// Longest `empresa_cnpj` as sent (formatted).
pub const CNPJ_MAX_CHARS: usize = 18;

/// The cleaned `whatsapp` of a body (everything but digits and `+` dropped first).
fn whatsapp(input: &Input, errors: &mut FieldErrors) -> Option<Whatsapp> {
    let raw = input.text("whatsapp", Some(Whatsapp::MAX_CHARS), false, errors)?;
    match Whatsapp::parse_cleaned(&raw) {
        Ok(w) => Some(w),
        Err(msg) => {
            errors.add("whatsapp", msg);
            None
        }
    }
}

/// `buscar-contato`: a required `whatsapp`.
pub fn buscar_contato(input: &Input) -> Result<Whatsapp, FieldErrors> {
    let mut errors = FieldErrors::new();
    input.require(&["whatsapp"], &mut errors);
    match whatsapp(input, &mut errors) {
        Some(w) if errors.is_empty() => Ok(w),
        _ => Err(errors),
    }
}

/// Captured data that parsed, and the echo of its validated fields (the wire form of
/// `dados_capturados`: only the fields that were sent, cleaned).
#[derive(Debug)]
pub struct Captured {
    pub dados: DadosCapturados,
    pub echo: Map<String, Value>,
}

/// Captured data that did not parse: its field errors, and the `grupo_empresa_id` if it
/// parsed (the use case checks it, as DRF reports every field at once).
#[derive(Debug)]
pub struct InvalidCaptured {
    pub errors: FieldErrors,
    pub grupo_empresa_id: Option<i64>,
}

fn echo_text(
    input: &Input,
    key: &str,
    max: usize,
    blank: bool,
    echo: &mut Map<String, Value>,
    errors: &mut FieldErrors,
) -> Option<String> {
    let v = input.text(key, Some(max), blank, errors)?;
    echo.insert(key.into(), Value::from(v.clone()));
    Some(v)
}

/// `dados-capturados` (`manual: false`: `whatsapp`, `nome` and `empresa_nome` required) or
/// `cadastro-manual` (`manual`: `whatsapp` and `nome` required, `empresa_id` read).
pub fn captured(input: &Input, manual: bool) -> Result<Captured, InvalidCaptured> {
    let mut errors = FieldErrors::new();
    let mut required = vec!["whatsapp", "nome"];
    if !manual {
        required.push("empresa_nome");
    }
    input.require(&required, &mut errors);
    let mut echo = Map::new();
    let whatsapp = whatsapp(input, &mut errors);
    if let Some(w) = &whatsapp {
        echo.insert("whatsapp".into(), Value::from(w.as_str()));
    }
    let nome = echo_text(input, "nome", NOME_MAX_CHARS, false, &mut echo, &mut errors);
    let cargo = echo_text(
        input,
        "cargo",
        CARGO_MAX_CHARS,
        true,
        &mut echo,
        &mut errors,
    );
    let mut email = None;
    if let Some(e) = input.email("email", false, true, &mut errors).flatten() {
        echo.insert("email".into(), Value::from(e.clone()));
        if !e.is_empty() {
            match Email::parse(&e) {
                Ok(e) => email = Some(e),
                Err(msg) => errors.add("email", msg),
            }
        }
    }
    let empresa_nome = echo_text(
        input,
        "empresa_nome",
        NOME_MAX_CHARS,
        manual,
        &mut echo,
        &mut errors,
    )
    .filter(|s| !s.is_empty());
    let mut empresa_cnpj = None;
    if let Some(raw) = input.text("empresa_cnpj", Some(CNPJ_MAX_CHARS), true, &mut errors) {
        if raw.is_empty() {
            echo.insert("empresa_cnpj".into(), Value::from(""));
        } else {
            match Cnpj::parse_loose(&raw) {
                Ok(c) => {
                    echo.insert("empresa_cnpj".into(), Value::from(c.as_str()));
                    empresa_cnpj = Some(c);
                }
                Err(msg) => errors.add("empresa_cnpj", msg),
            }
        }
    }
    let mut grupo_empresa_id = None;
    if let Some(g) = input.int("grupo_empresa_id", true, &mut errors) {
        echo.insert(
            "grupo_empresa_id".into(),
            g.map_or(Value::Null, Value::from),
        );
        grupo_empresa_id = g;
    }
    let empresa_id = if manual {
        input.int("empresa_id", true, &mut errors).flatten()
    } else {
        None
    };
    match (whatsapp, nome) {
        (Some(whatsapp), Some(nome)) if errors.is_empty() => Ok(Captured {
            dados: DadosCapturados {
                whatsapp,
                nome,
                cargo,
                email,
                empresa_nome,
                empresa_cnpj,
                grupo_empresa_id,
                empresa_id,
            },
            echo,
        }),
        _ => Err(InvalidCaptured {
            errors,
            grupo_empresa_id,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernel::messages as m;
    use kernel::values::WHATSAPP_MSG;
    use serde_json::json;

    fn input(v: Value) -> Input {
        Input::json(v.as_object().cloned().unwrap())
    }

    #[test]
    fn buscar_contato_cleans_the_number() {
        let w = buscar_contato(&input(json!({"whatsapp":"+55 (11) 99999-9999"}))).unwrap();
        assert_eq!(w.as_str(), "+5511999999999");
        assert_eq!(
            buscar_contato(&input(json!({}))).unwrap_err().into_json(),
            json!({"whatsapp":[m::REQUIRED]})
        );
        assert_eq!(
            buscar_contato(&input(json!({"whatsapp":"abc"})))
                .unwrap_err()
                .into_json(),
            json!({"whatsapp":[WHATSAPP_MSG]})
        );
    }

    #[test]
    fn dados_capturados_cleans_validates_and_echoes() {
        let c = captured(
            &input(
                json!({"whatsapp":"+55 (11) 99999-9999","nome":"Ana","empresa_nome":"ACME",
            "empresa_cnpj":"11.222.333/0001-81","grupo_empresa_id":1,"email":""}),
            ),
            false,
        )
        .unwrap();
        assert_eq!(
            Value::Object(c.echo),
            json!({"whatsapp":"+5511999999999","nome":"Ana","empresa_nome":"ACME",
            "empresa_cnpj":"11222333000181","grupo_empresa_id":1,"email":""})
        );
        let d = c.dados;
        assert_eq!(d.whatsapp.as_str(), "+5511999999999");
        assert_eq!(
            d.empresa_cnpj.as_ref().map(Cnpj::as_str),
            Some("11222333000181")
        );
        assert_eq!(
            (d.email, d.grupo_empresa_id, d.empresa_id),
            (None, Some(1), None)
        );
        let bad = captured(
            &input(json!({"whatsapp":"abc","empresa_cnpj":"123","grupo_empresa_id":2})),
            false,
        )
        .unwrap_err();
        assert_eq!(
            bad.errors.into_json(),
            json!({"whatsapp":[WHATSAPP_MSG],"nome":[m::REQUIRED],"empresa_nome":[m::REQUIRED],
            "empresa_cnpj":["CNPJ deve ter 14 dígitos"]})
        );
        assert_eq!(bad.grupo_empresa_id, Some(2));
    }

    #[test]
    fn cadastro_manual_reads_empresa_id_and_allows_a_blank_empresa_nome() {
        let d = captured(
            &input(json!({"whatsapp":"5511999999999","nome":"A","empresa_nome":"","empresa_id":5})),
            true,
        )
        .unwrap()
        .dados;
        assert_eq!((d.empresa_nome, d.empresa_id), (None, Some(5)));
        let d = captured(
            &input(json!({"whatsapp":"5511999999999","nome":"A","empresa_id":5})),
            false,
        );
        assert!(d.is_err());
        assert_eq!(
            captured(
                &input(json!({"whatsapp":"5511999999999","nome":"A","empresa_id":"x"})),
                true
            )
            .unwrap_err()
            .errors
            .into_json(),
            json!({"empresa_id":[m::INTEGER]})
        );
    }
}
