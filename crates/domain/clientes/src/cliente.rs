//! The Cliente entity, its writable data, validation and derived fields.

use chrono::{DateTime, Utc};
use kernel::FieldErrors;
use kernel::input::Input;
use kernel::values::{self, Cnpj, Cpf};
use std::collections::BTreeMap;

pub const STATUS: [&str; 4] = ["ativo", "inativo", "suspenso", "bloqueado"];
pub const REGIMES: [&str; 5] = [
    "simples_nacional",
    "lucro_presumido",
    "lucro_real",
    "mei",
    "outro",
];
pub const DEFAULT_RAZAO: &str = "Empresa Temporária";
pub const DEFAULT_RESPONSAVEL: &str = "Responsável Temporário";
pub const DEFAULT_CPF: &str = "000.000.000-00";
pub const CNPJ_TAKEN: &str = "Cliente com este CNPJ já existe.";

/// Writable fields of a Cliente.
#[derive(Debug, Clone, PartialEq)]
pub struct ClienteData {
    pub grupo_empresa: Option<i64>,
    pub razao_social: String,
    pub nome_fantasia: Option<String>,
    pub cnpj: String,
    pub inscricao_estadual: Option<String>,
    pub inscricao_municipal: Option<String>,
    pub ramo_atividade: Option<String>,
    pub regime_tributario: String,
    pub responsavel_legal_nome: String,
    pub responsavel_legal_cpf: String,
    pub responsavel_legal_cargo: Option<String>,
    pub email_principal: Option<String>,
    pub telefone_principal: Option<String>,
    pub endereco: Option<String>,
    pub numero: Option<String>,
    pub complemento: Option<String>,
    pub bairro: Option<String>,
    pub cidade: Option<String>,
    pub estado: Option<String>,
    pub cep: Option<String>,
    pub logo: Option<String>,
    pub assinatura_digital: Option<String>,
    pub status: String,
    pub observacoes: Option<String>,
}

impl ClienteData {
    /// Model defaults; `cnpj` must be filled by the caller (placeholder or real).
    pub fn defaults(cnpj: String) -> Self {
        Self {
            grupo_empresa: None,
            razao_social: DEFAULT_RAZAO.into(),
            nome_fantasia: None,
            cnpj,
            inscricao_estadual: None,
            inscricao_municipal: None,
            ramo_atividade: None,
            regime_tributario: "simples_nacional".into(),
            responsavel_legal_nome: DEFAULT_RESPONSAVEL.into(),
            responsavel_legal_cpf: DEFAULT_CPF.into(),
            responsavel_legal_cargo: None,
            email_principal: None,
            telefone_principal: None,
            endereco: None,
            numero: None,
            complemento: None,
            bairro: None,
            cidade: None,
            estado: None,
            cep: None,
            logo: None,
            assinatura_digital: None,
            status: "ativo".into(),
            observacoes: None,
        }
    }
}

/// A stored Cliente.
#[derive(Debug, Clone, PartialEq)]
pub struct Cliente {
    pub id: i64,
    pub data: ClienteData,
    pub grupo_empresa_nome: Option<String>,
    pub criado_em: DateTime<Utc>,
    pub atualizado_em: DateTime<Utc>,
    pub criado_por: Option<i64>,
    pub atualizado_por: Option<i64>,
}

impl Cliente {
    /// `"Email: …"`, `"Tel: …"`, each only when set.
    pub fn contatos_principais(&self) -> Vec<String> {
        contatos_principais(
            self.data.email_principal.as_deref(),
            self.data.telefone_principal.as_deref(),
        )
    }

    /// `" - "`-joined address parts, skipping empties.
    pub fn endereco_completo(&self) -> String {
        let d = &self.data;
        let set = |o: &Option<String>| o.as_deref().filter(|s| !s.is_empty()).map(str::to_string);
        let mut parts = Vec::new();
        if let Some(e) = set(&d.endereco) {
            parts.push(e);
            if let Some(n) = set(&d.numero) {
                parts.push(format!("nº {n}"));
            }
            if let Some(c) = set(&d.complemento) {
                parts.push(c);
            }
        }
        parts.extend(
            [set(&d.bairro), set(&d.cidade), set(&d.estado)]
                .into_iter()
                .flatten(),
        );
        if let Some(c) = set(&d.cep) {
            parts.push(format!("CEP: {c}"));
        }
        parts.join(" - ")
    }

    pub fn nome_display(&self) -> &str {
        self.data
            .nome_fantasia
            .as_deref()
            .filter(|s| !s.is_empty())
            .unwrap_or(&self.data.razao_social)
    }
}

/// The columns of a cliente that its list representation shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ClienteResumo {
    pub id: i64,
    pub razao_social: String,
    pub nome_fantasia: Option<String>,
    pub cnpj: String,
    pub status: String,
    pub grupo_empresa_nome: Option<String>,
    pub email_principal: Option<String>,
    pub telefone_principal: Option<String>,
}

impl ClienteResumo {
    /// `"Email: …"`, `"Tel: …"`, each only when set (as [`Cliente::contatos_principais`]).
    pub fn contatos_principais(&self) -> Vec<String> {
        contatos_principais(
            self.email_principal.as_deref(),
            self.telefone_principal.as_deref(),
        )
    }
}

impl From<Cliente> for ClienteResumo {
    fn from(c: Cliente) -> Self {
        Self {
            id: c.id,
            razao_social: c.data.razao_social,
            nome_fantasia: c.data.nome_fantasia,
            cnpj: c.data.cnpj,
            status: c.data.status,
            grupo_empresa_nome: c.grupo_empresa_nome,
            email_principal: c.data.email_principal,
            telefone_principal: c.data.telefone_principal,
        }
    }
}

fn contatos_principais(email: Option<&str>, telefone: Option<&str>) -> Vec<String> {
    let mut v = Vec::new();
    if let Some(e) = email.filter(|s| !s.is_empty()) {
        v.push(format!("Email: {e}"));
    }
    if let Some(t) = telefone.filter(|s| !s.is_empty()) {
        v.push(format!("Tel: {t}"));
    }
    v
}

/// Aggregates for `/clientes/stats/`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClienteStats {
    pub total: u64,
    pub por_status: BTreeMap<String, u64>,
    pub por_regime_tributario: BTreeMap<String, u64>,
    /// Top 10 (name, count), most frequent first.
    pub por_cidade: Vec<(String, u64)>,
    pub por_estado: Vec<(String, u64)>,
    pub recentes: u64,
}

/// Applies the writable fields present in `input` onto `data`, recording errors.
/// Returns whether `grupo_empresa` was set (so the caller can check it exists).
pub fn apply_input(input: &Input, data: &mut ClienteData, errors: &mut FieldErrors) {
    if let Some(v) = input.int("grupo_empresa", true, errors) {
        data.grupo_empresa = v;
    }
    if let Some(v) = input.text("razao_social", Some(255), false, errors) {
        data.razao_social = v;
    }
    opt_text(input, "nome_fantasia", 255, &mut data.nome_fantasia, errors);
    if let Some(v) = input.text("cnpj", None, false, errors) {
        match Cnpj::parse_formatted(&v) {
            Ok(c) => data.cnpj = c.into_string(),
            Err(msg) => errors.add("cnpj", msg),
        }
    }
    opt_text(
        input,
        "inscricao_estadual",
        20,
        &mut data.inscricao_estadual,
        errors,
    );
    opt_text(
        input,
        "inscricao_municipal",
        20,
        &mut data.inscricao_municipal,
        errors,
    );
    opt_text(
        input,
        "ramo_atividade",
        255,
        &mut data.ramo_atividade,
        errors,
    );
    if let Some(v) = input.choice("regime_tributario", &REGIMES, errors) {
        data.regime_tributario = v;
    }
    if let Some(v) = input.text("responsavel_legal_nome", Some(255), false, errors) {
        data.responsavel_legal_nome = v;
    }
    if let Some(v) = input.text("responsavel_legal_cpf", None, false, errors) {
        match Cpf::parse_formatted(&v) {
            Ok(c) => data.responsavel_legal_cpf = c.into_string(),
            Err(msg) => errors.add("responsavel_legal_cpf", msg),
        }
    }
    opt_text(
        input,
        "responsavel_legal_cargo",
        100,
        &mut data.responsavel_legal_cargo,
        errors,
    );
    if let Some(v) = input.email("email_principal", true, true, errors) {
        data.email_principal = v.filter(|s| !s.is_empty());
    }
    if let Some(v) = input.string("telefone_principal", Some(20), true, true, errors) {
        match v.filter(|s| !s.is_empty()) {
            Some(t) if !values::is_valid_phone(&t) => {
                errors.add("telefone_principal", values::PHONE_MSG)
            }
            other => data.telefone_principal = other,
        }
    }
    opt_text(input, "endereco", usize::MAX, &mut data.endereco, errors);
    opt_text(input, "numero", 10, &mut data.numero, errors);
    opt_text(input, "complemento", 100, &mut data.complemento, errors);
    opt_text(input, "bairro", 100, &mut data.bairro, errors);
    opt_text(input, "cidade", 100, &mut data.cidade, errors);
    opt_text(input, "estado", 2, &mut data.estado, errors);
    if let Some(v) = input.string("cep", Some(9), true, true, errors) {
        match v.filter(|s| !s.is_empty()) {
            Some(c) if !values::is_valid_cep(&c) => errors.add("cep", values::CEP_MSG),
            other => data.cep = other,
        }
    }
    if let Some(v) = input.choice("status", &STATUS, errors) {
        data.status = v;
    }
    opt_text(
        input,
        "observacoes",
        usize::MAX,
        &mut data.observacoes,
        errors,
    );
    for file_field in IMAGE_FIELDS {
        if let Some(v) = input.raw(file_field) {
            match v {
                serde_json::Value::Null => set_file(data, file_field, None),
                serde_json::Value::String(s) if s.is_empty() => set_file(data, file_field, None),
                serde_json::Value::String(s) if s.starts_with(UPLOAD) => {
                    set_file(data, file_field, Some(s[UPLOAD.len()..].to_string()))
                }
                _ => errors.add(
                    file_field,
                    "O dado submetido não é um arquivo. Certifique-se do tipo de codificação no formulário.",
                ),
            }
        }
    }
}

/// The cliente's image fields.
pub const IMAGE_FIELDS: [&str; 2] = ["logo", "assinatura_digital"];
/// Storage folder of the clientes' images.
pub const IMAGES_DIR: &str = "clientes/imagens";
/// Prefix of an image field's value that names a file the server has just stored for this
/// request (`upload:<path>`); a client can never send one that is accepted as is.
pub const UPLOAD: &str = "upload:";

/// The stored images of a cliente.
pub fn images(data: &ClienteData) -> impl Iterator<Item = &str> {
    [&data.logo, &data.assinatura_digital]
        .into_iter()
        .filter_map(|p| p.as_deref())
}

/// The files stored for this request, named in the input's image fields.
pub fn uploaded(input: &Input) -> impl Iterator<Item = &str> {
    IMAGE_FIELDS.into_iter().filter_map(|f| {
        input
            .raw(f)
            .and_then(|v| v.as_str())
            .and_then(|s| s.strip_prefix(UPLOAD))
    })
}

fn set_file(data: &mut ClienteData, field: &str, v: Option<String>) {
    if field == "logo" {
        data.logo = v;
    } else {
        data.assinatura_digital = v;
    }
}

/// A nullable, blank-allowed text field (blank stored as given).
fn opt_text(
    input: &Input,
    key: &str,
    max: usize,
    slot: &mut Option<String>,
    errors: &mut FieldErrors,
) {
    let max = (max != usize::MAX).then_some(max);
    if let Some(v) = input.string(key, max, true, true, errors) {
        *slot = v;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use kernel::messages as m;
    use serde_json::json;

    fn cliente(data: ClienteData) -> Cliente {
        Cliente {
            id: 1,
            data,
            grupo_empresa_nome: None,
            criado_em: Utc::now(),
            atualizado_em: Utc::now(),
            criado_por: None,
            atualizado_por: None,
        }
    }

    #[test]
    fn derived_fields() {
        let mut d = ClienteData::defaults("x".into());
        assert_eq!(cliente(d.clone()).endereco_completo(), "");
        d.numero = Some("10".into());
        d.cidade = Some("São Paulo".into());
        assert_eq!(cliente(d.clone()).endereco_completo(), "São Paulo");
        d.endereco = Some("Rua A".into());
        d.complemento = Some("".into());
        d.estado = Some("SP".into());
        d.cep = Some("01001-000".into());
        assert_eq!(
            cliente(d.clone()).endereco_completo(),
            "Rua A - nº 10 - São Paulo - SP - CEP: 01001-000"
        );
        d.email_principal = Some("a@b.com".into());
        d.telefone_principal = Some("11999999999".into());
        assert_eq!(
            cliente(d.clone()).contatos_principais(),
            vec!["Email: a@b.com", "Tel: 11999999999"]
        );
        assert_eq!(cliente(d.clone()).nome_display(), DEFAULT_RAZAO);
        d.nome_fantasia = Some("Fantasia".into());
        assert_eq!(cliente(d).nome_display(), "Fantasia");
    }

    #[test]
    fn input_validation_messages() {
        let input = Input::json(
            json!({"cnpj":"11222333000181","responsavel_legal_cpf":"529.982.247-24","telefone_principal":"123",
                   "cep":"123","status":"zzz","email_principal":"no","razao_social":"","estado":"SPX",
                   "grupo_empresa":"1"})
            .as_object()
            .cloned()
            .unwrap(),
        );
        let mut d = ClienteData::defaults("p".into());
        let mut e = FieldErrors::new();
        apply_input(&input, &mut d, &mut e);
        assert_eq!(
            e.to_json(),
            json!({"cnpj":[values::CNPJ_FORMAT_MSG],"responsavel_legal_cpf":[values::CPF_INVALID_MSG],
                   "telefone_principal":[values::PHONE_MSG],"cep":[values::CEP_MSG],
                   "status":[m::invalid_choice("zzz")],"email_principal":[m::EMAIL],
                   "razao_social":[m::BLANK],"estado":[m::max_length(2)],"grupo_empresa":[m::INTEGER]})
        );
    }

    #[test]
    fn input_applies_and_normalizes() {
        let input = Input::json(
            json!({"cnpj":"12.abc.345/01de-35","responsavel_legal_cpf":"529.982.247-25","nome_fantasia":null,
                   "telefone_principal":"+5511999999999","tipo_pessoa":"fisica","regime_tributario":"mei"})
            .as_object()
            .cloned()
            .unwrap(),
        );
        let mut d = ClienteData::defaults("p".into());
        d.nome_fantasia = Some("old".into());
        let mut e = FieldErrors::new();
        apply_input(&input, &mut d, &mut e);
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(d.cnpj, "12ABC34501DE35");
        assert_eq!(d.responsavel_legal_cpf, "52998224725");
        assert_eq!(d.nome_fantasia, None);
        assert_eq!(d.regime_tributario, "mei");
    }
}
