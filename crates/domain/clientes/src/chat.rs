//! Public chat-intake lookups and cadastro manual (contract §4.2, last three rows).

use crate::cliente::ClienteData;
use crate::contato::{Contato, ContatoData, UNIQUE_MSG};
use crate::ports::{ClienteRepository, ContatoRepository, GrupoEmpresaRepository};
use crate::service::{PLACEHOLDER_ATTEMPTS, placeholder_cnpj};
use kernel::input::Input;
use kernel::values::{self, Cnpj};
use kernel::{DomainError, FieldErrors, Result};
use serde_json::{Map, Value};
use std::sync::Arc;

pub const NOT_FOUND_MSG: &str =
    "WhatsApp não encontrado. Dados capturados disponíveis para cadastro.";
pub const GRUPO_NOT_FOUND: &str = "Grupo de empresas não encontrado";
pub const EMPRESA_REQUIRED: &str =
    "Deve informar empresa_id (empresa existente) ou empresa_nome (nova empresa)";

/// Validated captured data.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DadosCapturados {
    pub whatsapp: String,
    pub nome: Option<String>,
    pub cargo: Option<String>,
    pub email: Option<String>,
    pub empresa_nome: Option<String>,
    pub empresa_cnpj: Option<String>,
    pub grupo_empresa_id: Option<i64>,
    pub empresa_id: Option<i64>,
    /// The validated fields that were present in the request (wire echo).
    pub echo: Map<String, Value>,
}

pub enum Cadastro {
    Created(Contato),
    /// An active contato already uses this WhatsApp.
    AlreadyRegistered(Contato),
}

pub struct ChatIntakeService {
    contatos: Arc<dyn ContatoRepository>,
    clientes: Arc<dyn ClienteRepository>,
    grupos: Arc<dyn GrupoEmpresaRepository>,
}

impl ChatIntakeService {
    pub fn new(
        contatos: Arc<dyn ContatoRepository>,
        clientes: Arc<dyn ClienteRepository>,
        grupos: Arc<dyn GrupoEmpresaRepository>,
    ) -> Self {
        Self {
            contatos,
            clientes,
            grupos,
        }
    }

    /// `buscar-contato`: active contatos with exactly this (cleaned) number.
    pub async fn buscar_contato(&self, input: &Input) -> Result<Vec<Contato>> {
        let mut errors = FieldErrors::new();
        input.require(&["whatsapp"], &mut errors);
        let w = whatsapp(input, &mut errors);
        errors.into_result()?;
        self.contatos
            .find_active_by_whatsapp(&w.unwrap_or_default())
            .await
    }

    /// `dados-capturados`: validates and echoes; persists nothing.
    pub async fn dados_capturados(&self, input: &Input) -> Result<DadosCapturados> {
        self.validate(input, false).await
    }

    /// `cadastro-manual`: resolves or creates the company and creates the contato atomically.
    pub async fn cadastro_manual(&self, input: &Input) -> Result<Cadastro> {
        let dados = self.validate(input, true).await?;
        if dados.empresa_id.is_none() && dados.empresa_nome.is_none() {
            return Err(DomainError::field("non_field_errors", EMPRESA_REQUIRED));
        }
        if let Some(existing) = self
            .contatos
            .find_active_by_whatsapp(&dados.whatsapp)
            .await?
            .into_iter()
            .next()
        {
            return Ok(Cadastro::AlreadyRegistered(existing));
        }
        let mut contato = ContatoData {
            cliente: 0,
            nome: dados.nome.clone().unwrap_or_default(),
            cargo: Some(dados.cargo.clone().unwrap_or_default()),
            whatsapp: dados.whatsapp.clone(),
            email: Some(dados.email.clone().unwrap_or_default()),
            ativo: true,
        };
        if let Some(id) = dados.empresa_id {
            let Some(c) = self.clientes.get(id, None).await? else {
                let mut e = FieldErrors::new();
                e.set_raw("empresa_id", Value::from("Empresa não encontrada"));
                return Err(DomainError::Validation(e));
            };
            contato.cliente = c.id;
            return self.save(None, &contato).await;
        }
        let existing = match &dados.empresa_cnpj {
            Some(cnpj) => self.clientes.find_by_cnpj(cnpj).await?,
            None => None,
        };
        let existing = match existing {
            Some(c) => Some(c),
            None => match &dados.empresa_nome {
                Some(nome) => self.clientes.find_by_nome(nome).await?,
                None => None,
            },
        };
        if let Some(c) = existing {
            contato.cliente = c.id;
            return self.save(None, &contato).await;
        }
        let mut empresa = ClienteData::defaults(dados.empresa_cnpj.clone().unwrap_or_default());
        empresa.razao_social = dados.empresa_nome.clone().unwrap_or_default();
        empresa.grupo_empresa = dados.grupo_empresa_id;
        empresa.responsavel_legal_nome = "A ser preenchido".into();
        let placeholder = empresa.cnpj.is_empty();
        if !placeholder {
            return self.save(Some(empresa), &contato).await;
        }
        // Allocation is atomic; a conflict here (the company is new, so its contato cannot
        // collide) is a placeholder-shaped CNPJ stored by hand: take the next number.
        for _ in 0..PLACEHOLDER_ATTEMPTS {
            empresa.cnpj = placeholder_cnpj(self.clientes.next_placeholder_seq().await?);
            match self.save(Some(empresa.clone()), &contato).await {
                Err(DomainError::Validation(e)) if e.has("non_field_errors") => {
                    continue;
                }
                other => return other,
            }
        }
        Err(DomainError::internal(
            "could not allocate a placeholder CNPJ",
        ))
    }

    async fn save(&self, empresa: Option<ClienteData>, contato: &ContatoData) -> Result<Cadastro> {
        match self.contatos.cadastrar(empresa, contato).await {
            Ok(c) => Ok(Cadastro::Created(c)),
            Err(DomainError::Conflict(_)) => {
                Err(DomainError::field("non_field_errors", UNIQUE_MSG))
            }
            Err(e) => Err(e),
        }
    }

    async fn validate(&self, input: &Input, manual: bool) -> Result<DadosCapturados> {
        let mut errors = FieldErrors::new();
        let mut required = vec!["whatsapp", "nome"];
        if !manual {
            required.push("empresa_nome");
        }
        input.require(&required, &mut errors);
        let mut d = DadosCapturados::default();
        if let Some(w) = whatsapp(input, &mut errors) {
            d.echo.insert("whatsapp".into(), Value::from(w.clone()));
            d.whatsapp = w;
        }
        d.nome = echo_text(input, "nome", 255, false, &mut d.echo, &mut errors);
        d.cargo = echo_text(input, "cargo", 100, true, &mut d.echo, &mut errors);
        if let Some(e) = input.email("email", false, true, &mut errors).flatten() {
            d.echo.insert("email".into(), Value::from(e.clone()));
            d.email = Some(e);
        }
        d.empresa_nome = echo_text(input, "empresa_nome", 255, manual, &mut d.echo, &mut errors)
            .filter(|s| !s.is_empty());
        if let Some(raw) = input.text("empresa_cnpj", Some(18), true, &mut errors) {
            if raw.is_empty() {
                d.echo.insert("empresa_cnpj".into(), Value::from(""));
            } else {
                match Cnpj::parse_loose(&raw) {
                    Ok(c) => {
                        d.echo
                            .insert("empresa_cnpj".into(), Value::from(c.as_str()));
                        d.empresa_cnpj = Some(c.into_string());
                    }
                    Err(msg) => errors.add("empresa_cnpj", msg),
                }
            }
        }
        if let Some(g) = input.int("grupo_empresa_id", true, &mut errors) {
            d.echo.insert(
                "grupo_empresa_id".into(),
                g.map_or(Value::Null, Value::from),
            );
            if let Some(id) = g {
                match self.grupos.get(id).await? {
                    Some(grupo) if grupo.ativo => d.grupo_empresa_id = Some(id),
                    _ => errors.add("grupo_empresa_id", GRUPO_NOT_FOUND),
                }
            }
        }
        if manual && let Some(e) = input.int("empresa_id", true, &mut errors) {
            d.empresa_id = e;
        }
        errors.into_result()?;
        Ok(d)
    }
}

fn whatsapp(input: &Input, errors: &mut FieldErrors) -> Option<String> {
    let raw = input.text("whatsapp", Some(20), false, errors)?;
    let cleaned = values::clean_whatsapp(&raw);
    if values::is_valid_phone(&cleaned) {
        Some(cleaned)
    } else {
        errors.add("whatsapp", values::WHATSAPP_MSG);
        None
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cliente::Cliente;
    use crate::grupo::GrupoEmpresa;
    use crate::ports::{MockClienteRepository, MockContatoRepository, MockGrupoEmpresaRepository};
    use chrono::Utc;
    use futures_executor::block_on;
    use kernel::messages as m;
    use serde_json::json;

    fn input(v: Value) -> Input {
        Input::json(v.as_object().cloned().unwrap())
    }

    fn contato(d: &ContatoData) -> Contato {
        Contato {
            id: 10,
            data: d.clone(),
            cliente_nome: "X".into(),
            criado_em: Utc::now(),
            atualizado_em: Utc::now(),
        }
    }

    fn cliente(id: i64) -> Cliente {
        Cliente {
            id,
            data: ClienteData::defaults("c".into()),
            grupo_empresa_nome: None,
            criado_em: Utc::now(),
            atualizado_em: Utc::now(),
            criado_por: None,
            atualizado_por: None,
        }
    }

    #[test]
    fn dados_capturados_cleans_and_validates() {
        let mut grupos = MockGrupoEmpresaRepository::new();
        grupos.expect_get().returning(|id| {
            Ok(Some(GrupoEmpresa {
                id,
                nome: "G".into(),
                descricao: None,
                ativo: id == 1,
                empresas_count: 0,
                criado_em: Utc::now(),
                atualizado_em: Utc::now(),
            }))
        });
        let s = ChatIntakeService::new(
            Arc::new(MockContatoRepository::new()),
            Arc::new(MockClienteRepository::new()),
            Arc::new(grupos),
        );
        let d = block_on(s.dados_capturados(&input(
            json!({"whatsapp":"+55 (11) 99999-9999","nome":"Ana","empresa_nome":"ACME",
            "empresa_cnpj":"11.222.333/0001-81","grupo_empresa_id":1,"email":""}),
        )))
        .unwrap();
        assert_eq!(
            d.echo,
            json!({"whatsapp":"+5511999999999","nome":"Ana","empresa_nome":"ACME",
            "empresa_cnpj":"11222333000181","grupo_empresa_id":1,"email":""})
            .as_object()
            .cloned()
            .unwrap()
        );
        match block_on(s.dados_capturados(&input(
            json!({"whatsapp":"abc","empresa_cnpj":"123","grupo_empresa_id":2}),
        )))
        .unwrap_err()
        {
            DomainError::Validation(e) => assert_eq!(
                e.to_json(),
                json!({
                "whatsapp":[values::WHATSAPP_MSG],"nome":[m::REQUIRED],"empresa_nome":[m::REQUIRED],
                "empresa_cnpj":["CNPJ deve ter 14 dígitos"],"grupo_empresa_id":[GRUPO_NOT_FOUND]})
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn cadastro_manual_resolution() {
        let mut contatos = MockContatoRepository::new();
        contatos.expect_find_active_by_whatsapp().returning(|w| {
            Ok(if w == "5511888888888" {
                vec![contato(&ContatoData {
                    cliente: 1,
                    nome: "Old".into(),
                    cargo: None,
                    whatsapp: w.into(),
                    email: None,
                    ativo: true,
                })]
            } else {
                vec![]
            })
        });
        contatos.expect_cadastrar().returning(|empresa, c| {
            let mut c = c.clone();
            if let Some(e) = empresa {
                assert_eq!(e.razao_social, "Nova");
                assert_eq!(e.cnpj, "00.000.000/0001-00");
                assert_eq!(e.responsavel_legal_nome, "A ser preenchido");
                c.cliente = 99;
            }
            Ok(contato(&c))
        });
        let mut clientes = MockClienteRepository::new();
        clientes
            .expect_get()
            .returning(|id, _| Ok((id == 5).then(|| cliente(5))));
        clientes
            .expect_find_by_nome()
            .returning(|n| Ok((n == "Existente").then(|| cliente(7))));
        clientes.expect_next_placeholder_seq().returning(|| Ok(1));
        let s = ChatIntakeService::new(
            Arc::new(contatos),
            Arc::new(clientes),
            Arc::new(MockGrupoEmpresaRepository::new()),
        );
        let created = |v| match block_on(s.cadastro_manual(&input(v))) {
            Ok(Cadastro::Created(c)) => c.data.cliente,
            Ok(Cadastro::AlreadyRegistered(_)) => -1,
            Err(e) => panic!("{e:?}"),
        };
        assert_eq!(
            created(json!({"whatsapp":"5511999999999","nome":"A","empresa_id":5})),
            5
        );
        assert_eq!(
            created(json!({"whatsapp":"5511999999999","nome":"A","empresa_nome":"Existente"})),
            7
        );
        assert_eq!(
            created(json!({"whatsapp":"5511999999999","nome":"A","empresa_nome":"Nova"})),
            99
        );
        assert_eq!(
            created(json!({"whatsapp":"5511888888888","nome":"A","empresa_nome":"Nova"})),
            -1
        );
        match block_on(s.cadastro_manual(&input(json!({"whatsapp":"5511999999999","nome":"A"})))) {
            Err(DomainError::Validation(e)) => {
                assert_eq!(e.to_json(), json!({"non_field_errors":[EMPRESA_REQUIRED]}))
            }
            _ => panic!(),
        }
        match block_on(s.cadastro_manual(&input(
            json!({"whatsapp":"5511999999999","nome":"A","empresa_id":6}),
        ))) {
            Err(DomainError::Validation(e)) => {
                assert_eq!(e.to_json(), json!({"empresa_id":"Empresa não encontrada"}))
            }
            _ => panic!(),
        }
    }
}
