//! Document templates (`{nome, tipo, conteudo, variaveis}`), the built-in Portuguese defaults
//! and the `{{key}}` fill rule of contract §4.4.

use kernel::DomainError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Template `tipo` (`contrato`, `boleto`, `proposta`, `certificado`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TipoTemplate {
    Contrato,
    Boleto,
    Proposta,
    Certificado,
}

/// A document template as stored in `Config.document_templates` or built in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Template {
    pub nome: String,
    pub tipo: TipoTemplate,
    pub conteudo: String,
    #[serde(default)]
    pub variaveis: Vec<String>,
}

const CONTRATO_PADRAO: &str = include_str!("templates/contrato_padrao.txt");
const BOLETO_PADRAO: &str = include_str!("templates/boleto_padrao.txt");

/// The built-in templates `contrato_padrao` and `boleto_padrao`.
pub fn templates_padrao() -> Vec<Template> {
    vec![
        Template {
            nome: "contrato_padrao".into(),
            tipo: TipoTemplate::Contrato,
            conteudo: CONTRATO_PADRAO.to_string(),
            variaveis: variaveis_de(CONTRATO_PADRAO),
        },
        Template {
            nome: "boleto_padrao".into(),
            tipo: TipoTemplate::Boleto,
            conteudo: BOLETO_PADRAO.to_string(),
            variaveis: variaveis_de(BOLETO_PADRAO),
        },
    ]
}

/// Templates configured in `Config.document_templates` (an object keyed by template name whose
/// values are `{nome?, tipo, conteudo, variaveis?}`); malformed entries are skipped.
pub fn templates_configurados(config: &serde_json::Map<String, Value>) -> Vec<Template> {
    let mut out = Vec::new();
    for (chave, valor) in config {
        let mut v = valor.clone();
        if let Some(obj) = v.as_object_mut() {
            obj.entry("nome")
                .or_insert_with(|| Value::String(chave.clone()));
        }
        if let Ok(mut t) = serde_json::from_value::<Template>(v) {
            if t.variaveis.is_empty() {
                t.variaveis = variaveis_de(&t.conteudo);
            }
            out.push(t);
        }
    }
    out
}

/// Finds `nome` among the configured templates when there are any, else among the built-ins.
/// Unknown → `NotFoundMsg("Template \"<nome>\" não encontrado")`.
pub fn resolver_template(configurados: &[Template], nome: &str) -> Result<Template, DomainError> {
    let encontrado = if configurados.is_empty() {
        templates_padrao().into_iter().find(|t| t.nome == nome)
    } else {
        configurados.iter().find(|t| t.nome == nome).cloned()
    };
    encontrado
        .ok_or_else(|| DomainError::NotFoundMsg(format!("Template \"{nome}\" não encontrado")))
}

/// The distinct `{{placeholders}}` of a text, in order of first appearance.
pub fn variaveis_de(conteudo: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = conteudo;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let key = &after[..end];
        if !key.is_empty() && !key.contains('{') && !out.iter().any(|k| k == key) {
            out.push(key.to_string());
        }
        rest = &after[end + 2..];
    }
    out
}

/// A value's string form as the original (Python `str()`) produced it: strings as they are,
/// `null` → `None`, booleans `True`/`False`, numbers as JSON text, lists/objects in Python repr.
pub fn valor_texto(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => py_repr(other),
    }
}

fn py_repr(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => {
            let quote = if s.contains('\'') && !s.contains('"') {
                '"'
            } else {
                '\''
            };
            let mut out = String::with_capacity(s.len() + 2);
            out.push(quote);
            for c in s.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    c if c == quote => {
                        out.push('\\');
                        out.push(c);
                    }
                    c => out.push(c),
                }
            }
            out.push(quote);
            out
        }
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(py_repr).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{}: {}", py_repr(&Value::String(k.clone())), py_repr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Replaces every `{{key}}` whose key is in `dados` with the value's string form, in one pass
/// (replaced text is not scanned again); unknown placeholders are left as they are.
pub fn preencher(conteudo: &str, dados: &Map<String, Value>) -> String {
    let mut out = String::with_capacity(conteudo.len());
    let mut rest = conteudo;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) if dados.contains_key(&after[..end]) => {
                out.push_str(&valor_texto(&dados[&after[..end]]));
                rest = &after[end + 2..];
            }
            _ => {
                // Not a known key: keep one brace and rescan from the next character, so that
                // `{{{key}}}` still fills its inner `{{key}}` like a plain text replacement would.
                out.push('{');
                rest = &rest[start + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_templates_are_parsed_by_key() {
        let cfg = serde_json::json!({
            "meu_contrato": {"tipo": "contrato", "conteudo": "Olá {{cliente_nome}}"},
            "quebrado": {"tipo": "nada"}
        });
        let t = templates_configurados(cfg.as_object().unwrap());
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].nome, "meu_contrato");
        assert_eq!(t[0].variaveis, vec!["cliente_nome".to_string()]);
    }
    use serde_json::json;

    #[test]
    fn builtins_and_resolution() {
        let padrao = templates_padrao();
        assert_eq!(padrao.len(), 2);
        let c = resolver_template(&[], "contrato_padrao").unwrap();
        assert_eq!(c.tipo, TipoTemplate::Contrato);
        for v in [
            "cliente_nome",
            "cliente_cnpj",
            "cliente_endereco",
            "empresa_nome",
            "empresa_cnpj",
            "empresa_endereco",
            "data_contrato",
        ] {
            assert!(c.variaveis.iter().any(|x| x == v), "{v}");
        }
        assert!(c.conteudo.contains("CLÁUSULA"));
        let b = resolver_template(&[], "boleto_padrao").unwrap();
        assert!(b.variaveis.iter().any(|x| x == "linha_digitavel"));

        let custom = Template {
            nome: "meu".into(),
            tipo: TipoTemplate::Proposta,
            conteudo: "Olá {{cliente_nome}}".into(),
            variaveis: vec!["cliente_nome".into()],
        };
        assert_eq!(
            resolver_template(std::slice::from_ref(&custom), "meu").unwrap(),
            custom
        );
        // Configured templates replace the built-ins entirely.
        let err = resolver_template(&[custom], "contrato_padrao").unwrap_err();
        assert!(
            matches!(err, DomainError::NotFoundMsg(m) if m == "Template \"contrato_padrao\" não encontrado")
        );
    }

    #[test]
    fn template_deserializes_from_config_json() {
        let t: Template = serde_json::from_value(json!({
            "nome": "x", "tipo": "certificado", "conteudo": "{{a}}"
        }))
        .unwrap();
        assert_eq!(t.tipo, TipoTemplate::Certificado);
        assert!(t.variaveis.is_empty());
    }

    #[test]
    fn fill_rule() {
        let dados = json!({
            "nome": "ACME", "n": 12, "f": 1.5, "nulo": null, "sim": true,
            "lista": [1, "a", null], "obj": {"k": "it's"}, "laco": "{{nome}}"
        });
        let dados = dados.as_object().unwrap();
        assert_eq!(
            preencher(
                "{{nome}}|{{n}}|{{f}}|{{nulo}}|{{sim}}|{{lista}}|{{obj}}|{{x}}|{{laco}}|{{ nome }}|{{",
                dados
            ),
            "ACME|12|1.5|None|True|[1, 'a', None]|{'k': \"it's\"}|{{x}}|{{nome}}|{{ nome }}|{{"
        );
        assert_eq!(preencher("{{{nome}}}", dados), "{ACME}");
        assert_eq!(preencher("sem marcas", dados), "sem marcas");
        assert_eq!(variaveis_de("{{a}} {{b}} {{a}} {{}}"), vec!["a", "b"]);
    }
}
