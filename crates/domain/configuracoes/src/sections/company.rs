//! `company_data`: the company's identification and address, and the PATCH that changes it.

use super::SectionData;
use crate::model::Section;
use crate::stored::{Reader, Writer, set};
use crate::values::{CepDigits, CnpjText, RegimeTributario, Uf};
use kernel::FieldErrors;
use kernel::values::Email;
use serde_json::{Map, Value};

/// `company_data` as stored. Every key may be missing (a `PUT` stores only the keys it
/// brings; the merged rules report the required ones); `extra` keeps the keys this version
/// does not know. Values are as stored, not yet checked: the defaults have a blank `cnpj`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CompanyData {
    pub razao_social: Option<String>,
    pub nome_fantasia: Option<String>,
    pub cnpj: Option<String>,
    pub inscricao_estadual: Option<String>,
    pub inscricao_municipal: Option<String>,
    pub regime_tributario: Option<String>,
    pub cnae_principal: Option<String>,
    pub telefone: Option<String>,
    pub email: Option<String>,
    pub site: Option<String>,
    pub endereco: Option<Endereco>,
    pub extra: Map<String, Value>,
}

/// `company_data.endereco` as stored (replaced whole by a sent one).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Endereco {
    pub cep: Option<String>,
    pub logradouro: Option<String>,
    pub numero: Option<String>,
    pub complemento: Option<String>,
    pub bairro: Option<String>,
    pub cidade: Option<String>,
    pub uf: Option<String>,
    pub extra: Map<String, Value>,
}

impl CompanyData {
    pub fn from_stored(stored: &Map<String, Value>) -> Self {
        let mut r = Reader::new(stored);
        Self {
            razao_social: r.text("razao_social"),
            nome_fantasia: r.text("nome_fantasia"),
            cnpj: r.text("cnpj"),
            inscricao_estadual: r.text("inscricao_estadual"),
            inscricao_municipal: r.text("inscricao_municipal"),
            regime_tributario: r.text("regime_tributario"),
            cnae_principal: r.text("cnae_principal"),
            telefone: r.text("telefone"),
            email: r.text("email"),
            site: r.text("site"),
            endereco: r.object("endereco", Endereco::from_stored),
            extra: r.rest(),
        }
    }

    /// The section as stored and as clients see it (it holds no secret).
    pub fn to_json(&self) -> Map<String, Value> {
        let mut w = Writer::new(&self.extra);
        w.put("razao_social", self.razao_social.clone());
        w.put("nome_fantasia", self.nome_fantasia.clone());
        w.put("cnpj", self.cnpj.clone());
        w.put("inscricao_estadual", self.inscricao_estadual.clone());
        w.put("inscricao_municipal", self.inscricao_municipal.clone());
        w.put("regime_tributario", self.regime_tributario.clone());
        w.put("cnae_principal", self.cnae_principal.clone());
        w.put("telefone", self.telefone.clone());
        w.put("email", self.email.clone());
        w.put("site", self.site.clone());
        w.put(
            "endereco",
            self.endereco.as_ref().map(|e| Value::Object(e.to_json())),
        );
        w.finish()
    }
}

impl Endereco {
    pub fn from_stored(stored: &Map<String, Value>) -> Self {
        let mut r = Reader::new(stored);
        Self {
            cep: r.text("cep"),
            logradouro: r.text("logradouro"),
            numero: r.text("numero"),
            complemento: r.text("complemento"),
            bairro: r.text("bairro"),
            cidade: r.text("cidade"),
            uf: r.text("uf"),
            extra: r.rest(),
        }
    }

    pub fn to_json(&self) -> Map<String, Value> {
        let mut w = Writer::new(&self.extra);
        w.put("cep", self.cep.clone());
        w.put("logradouro", self.logradouro.clone());
        w.put("numero", self.numero.clone());
        w.put("complemento", self.complemento.clone());
        w.put("bairro", self.bairro.clone());
        w.put("cidade", self.cidade.clone());
        w.put("uf", self.uf.clone());
        w.finish()
    }
}

impl SectionData for CompanyData {
    const SECTION: Section = Section::Company;

    fn read(stored: &Map<String, Value>) -> Self {
        Self::from_stored(stored)
    }

    fn write(&self) -> Map<String, Value> {
        self.to_json()
    }

    fn merged_errors(&self) -> FieldErrors {
        crate::rules::company_errors(self)
    }
}

/// The company keys a request sets (`None`: not sent), each one already valid on its own.
/// Text limits: [`crate::limits`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CompanyPatch {
    pub razao_social: Option<String>,
    pub nome_fantasia: Option<String>,
    pub cnpj: Option<CnpjText>,
    pub inscricao_estadual: Option<String>,
    pub inscricao_municipal: Option<String>,
    pub regime_tributario: Option<RegimeTributario>,
    pub cnae_principal: Option<String>,
    pub telefone: Option<String>,
    pub email: Option<Email>,
    pub site: Option<String>,
    /// Replaces the stored address whole.
    pub endereco: Option<NewEndereco>,
}

/// An address a request sends: it replaces the stored one whole, with only the keys it has
/// (the merged rules then require the missing ones).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewEndereco {
    pub cep: Option<CepDigits>,
    pub logradouro: Option<String>,
    pub numero: Option<String>,
    pub complemento: Option<String>,
    pub bairro: Option<String>,
    pub cidade: Option<String>,
    pub uf: Option<Uf>,
}

impl NewEndereco {
    fn to_endereco(&self) -> Endereco {
        Endereco {
            cep: self.cep.as_ref().map(|c| c.as_str().to_string()),
            logradouro: self.logradouro.clone(),
            numero: self.numero.clone(),
            complemento: self.complemento.clone(),
            bairro: self.bairro.clone(),
            cidade: self.cidade.clone(),
            uf: self.uf.as_ref().map(|u| u.as_str().to_string()),
            extra: Map::new(),
        }
    }
}

impl CompanyPatch {
    /// Shallow merge: each sent key replaces the stored one.
    pub(crate) fn apply(&self, c: &mut CompanyData) {
        let x = &mut c.extra;
        set(&mut c.razao_social, &self.razao_social, "razao_social", x);
        set(
            &mut c.nome_fantasia,
            &self.nome_fantasia,
            "nome_fantasia",
            x,
        );
        let cnpj = self.cnpj.as_ref().map(|v| v.as_str().to_string());
        set(&mut c.cnpj, &cnpj, "cnpj", x);
        set(
            &mut c.inscricao_estadual,
            &self.inscricao_estadual,
            "inscricao_estadual",
            x,
        );
        set(
            &mut c.inscricao_municipal,
            &self.inscricao_municipal,
            "inscricao_municipal",
            x,
        );
        let regime = self.regime_tributario.map(|r| r.as_str().to_string());
        set(&mut c.regime_tributario, &regime, "regime_tributario", x);
        set(
            &mut c.cnae_principal,
            &self.cnae_principal,
            "cnae_principal",
            x,
        );
        set(&mut c.telefone, &self.telefone, "telefone", x);
        let email = self.email.as_ref().map(|e| e.as_str().to_string());
        set(&mut c.email, &email, "email", x);
        set(&mut c.site, &self.site, "site", x);
        let endereco = self.endereco.as_ref().map(NewEndereco::to_endereco);
        set(&mut c.endereco, &endereco, "endereco", x);
    }
}
