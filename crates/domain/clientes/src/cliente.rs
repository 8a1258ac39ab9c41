//! The Cliente entity, its writable data, validation and derived fields.

use crate::commands::ClienteChanges;
use chrono::{DateTime, Utc};
use kernel::values::{Cep, Cnpj, Cpf, Email, Telefone};
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

/// Applies the fields `changes` sets onto `data`, except the images (stored first by the
/// use case, see [`ClienteChanges::logo`]).
pub fn apply(changes: ClienteChanges, data: &mut ClienteData) {
    fn set<T>(slot: &mut T, v: Option<T>) {
        if let Some(v) = v {
            *slot = v;
        }
    }
    let c = changes;
    set(&mut data.grupo_empresa, c.grupo_empresa);
    set(&mut data.razao_social, c.razao_social);
    set(&mut data.nome_fantasia, c.nome_fantasia);
    set(&mut data.cnpj, c.cnpj.map(Cnpj::into_string));
    set(&mut data.inscricao_estadual, c.inscricao_estadual);
    set(&mut data.inscricao_municipal, c.inscricao_municipal);
    set(&mut data.ramo_atividade, c.ramo_atividade);
    set(&mut data.regime_tributario, c.regime_tributario);
    set(&mut data.responsavel_legal_nome, c.responsavel_legal_nome);
    set(
        &mut data.responsavel_legal_cpf,
        c.responsavel_legal_cpf.map(Cpf::into_string),
    );
    set(&mut data.responsavel_legal_cargo, c.responsavel_legal_cargo);
    set(
        &mut data.email_principal,
        c.email_principal.map(|e| e.map(Email::into_string)),
    );
    set(
        &mut data.telefone_principal,
        c.telefone_principal.map(|t| t.map(Telefone::into_string)),
    );
    set(&mut data.endereco, c.endereco);
    set(&mut data.numero, c.numero);
    set(&mut data.complemento, c.complemento);
    set(&mut data.bairro, c.bairro);
    set(&mut data.cidade, c.cidade);
    set(&mut data.estado, c.estado);
    set(&mut data.cep, c.cep.map(|c| c.map(Cep::into_string)));
    set(&mut data.status, c.status);
    set(&mut data.observacoes, c.observacoes);
}

/// The cliente's image fields.
pub const IMAGE_FIELDS: [&str; 2] = ["logo", "assinatura_digital"];
/// Storage folder of the clientes' images.
pub const IMAGES_DIR: &str = "clientes/imagens";
/// An image field that is neither a file, null nor `""`.
pub const NOT_A_FILE: &str =
    "O dado submetido não é um arquivo. Certifique-se do tipo de codificação no formulário.";
/// An image file that is not a PNG, JPEG, GIF or WebP.
pub const NOT_AN_IMAGE: &str =
    "Faça upload de uma imagem válida. O arquivo enviado não é uma imagem ou está corrompido.";

/// PNG, JPEG, GIF and WebP, recognised by their signatures.
pub fn is_image(data: &[u8]) -> bool {
    kernel::image::ImageKind::sniff(data).is_some_and(|k| k != kernel::image::ImageKind::Ico)
}

/// The stored images of a cliente.
pub fn images(data: &ClienteData) -> impl Iterator<Item = &str> {
    [&data.logo, &data.assinatura_digital]
        .into_iter()
        .filter_map(|p| p.as_deref())
}

/// `PATCH /clientes/{id}/status/` without a `status`.
pub fn status_required() -> kernel::DomainError {
    kernel::DomainError::BadRequest("Campo \"status\" é obrigatório".into())
}

/// A status that is not one of [`STATUS`].
pub fn invalid_status() -> kernel::DomainError {
    kernel::DomainError::BadRequest(format!(
        "Status inválido. Opções: [{}]",
        STATUS
            .iter()
            .map(|s| format!("'{s}'"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

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
}
