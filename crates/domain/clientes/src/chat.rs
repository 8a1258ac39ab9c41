//! Public chat-intake lookups and cadastro manual (contract §4.2, last three rows).

use crate::cliente::ClienteData;
use crate::contato::{Contato, ContatoData, UNIQUE_MSG};
use crate::ports::{ClienteRepository, ContatoRepository, GrupoEmpresaRepository, UnitOfWork};
use crate::service::{PLACEHOLDER_ATTEMPTS, placeholder_cnpj};
use kernel::values::{Cnpj, Email, Whatsapp};
use kernel::{DomainError, FieldErrors, Result};
use serde_json::Value;
use std::sync::Arc;

pub const NOT_FOUND_MSG: &str =
    "WhatsApp não encontrado. Dados capturados disponíveis para cadastro.";
pub const GRUPO_NOT_FOUND: &str = "Grupo de empresas não encontrado";
pub const EMPRESA_REQUIRED: &str =
    "Deve informar empresa_id (empresa existente) ou empresa_nome (nova empresa)";

/// Data captured in the chat, as the edge parsed it (`dados-capturados`,
/// `cadastro-manual`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DadosCapturados {
    pub whatsapp: Whatsapp,
    pub nome: String,
    pub cargo: Option<String>,
    /// `None`: absent or blank.
    pub email: Option<Email>,
    /// `None`: absent or blank.
    pub empresa_nome: Option<String>,
    pub empresa_cnpj: Option<Cnpj>,
    /// Must name an active grupo (checked by the use case).
    pub grupo_empresa_id: Option<i64>,
    /// `cadastro-manual` only: an existing company.
    pub empresa_id: Option<i64>,
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
    /// The cadastro's writes (a new company and its contato) in one transaction.
    uow: Arc<dyn UnitOfWork>,
}

impl ChatIntakeService {
    pub fn new(
        contatos: Arc<dyn ContatoRepository>,
        clientes: Arc<dyn ClienteRepository>,
        grupos: Arc<dyn GrupoEmpresaRepository>,
        uow: Arc<dyn UnitOfWork>,
    ) -> Self {
        Self {
            contatos,
            clientes,
            grupos,
            uow,
        }
    }

    /// `buscar-contato`: active contatos with exactly this (cleaned) number.
    pub async fn buscar_contato(&self, whatsapp: &Whatsapp) -> Result<Vec<Contato>> {
        self.contatos
            .find_active_by_whatsapp(whatsapp.as_str())
            .await
    }

    /// `dados-capturados`: checks the grupo; persists nothing.
    pub async fn dados_capturados(&self, dados: &DadosCapturados) -> Result<()> {
        self.check_grupo(dados.grupo_empresa_id, FieldErrors::new())
            .await
    }

    /// The error for captured data the edge could not parse: DRF validates every field at
    /// once, so the syntax `errors` come with the check of the `grupo_empresa_id` that did
    /// parse.
    pub async fn invalid(&self, errors: FieldErrors, grupo_empresa_id: Option<i64>) -> DomainError {
        match self.check_grupo(grupo_empresa_id, errors).await {
            Ok(()) => DomainError::internal("captured data refused without an error"),
            Err(e) => e,
        }
    }

    /// Adds an error when `grupo` names no active grupo to `errors`, then fails when there
    /// are any.
    async fn check_grupo(&self, grupo: Option<i64>, mut errors: FieldErrors) -> Result<()> {
        if let Some(id) = grupo {
            match self.grupos.get(id).await? {
                Some(g) if g.ativo => {}
                _ => errors.add("grupo_empresa_id", GRUPO_NOT_FOUND),
            }
        }
        errors.into_result()
    }

    /// `cadastro-manual`: resolves or creates the company and creates the contato atomically.
    pub async fn cadastro_manual(&self, dados: DadosCapturados) -> Result<Cadastro> {
        self.check_grupo(dados.grupo_empresa_id, FieldErrors::new())
            .await?;
        if dados.empresa_id.is_none() && dados.empresa_nome.is_none() {
            return Err(DomainError::field("non_field_errors", EMPRESA_REQUIRED));
        }
        if let Some(existing) = self
            .contatos
            .find_active_by_whatsapp(dados.whatsapp.as_str())
            .await?
            .into_iter()
            .next()
        {
            return Ok(Cadastro::AlreadyRegistered(existing));
        }
        let mut contato = ContatoData {
            cliente: 0,
            nome: dados.nome.clone(),
            cargo: Some(dados.cargo.clone().unwrap_or_default()),
            whatsapp: dados.whatsapp.as_str().to_string(),
            email: Some(dados.email.as_ref().map_or("", Email::as_str).to_string()),
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
            Some(cnpj) => self.clientes.find_by_cnpj(cnpj.as_str()).await?,
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
        let mut empresa = ClienteData::defaults(
            dados
                .empresa_cnpj
                .clone()
                .map(Cnpj::into_string)
                .unwrap_or_default(),
        );
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

    /// In one transaction: creates `empresa` when given (its id replaces `contato.cliente`),
    /// then the contato.
    async fn save(&self, empresa: Option<ClienteData>, contato: &ContatoData) -> Result<Cadastro> {
        let saved = async {
            let mut tx = self.uow.begin().await?;
            let mut contato = contato.clone();
            if let Some(empresa) = &empresa {
                contato.cliente = tx.insert_cliente(empresa, None).await?.id;
            }
            let c = tx.insert_contato(&contato).await?;
            tx.commit().await?;
            Ok(c)
        };
        match saved.await {
            Ok(c) => Ok(Cadastro::Created(c)),
            Err(DomainError::Conflict(_)) => {
                Err(DomainError::field("non_field_errors", UNIQUE_MSG))
            }
            Err(e) => Err(e),
        }
    }
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

    fn dados(whatsapp: &str) -> DadosCapturados {
        DadosCapturados {
            whatsapp: Whatsapp::parse(whatsapp).unwrap(),
            nome: "A".into(),
            cargo: None,
            email: None,
            empresa_nome: None,
            empresa_cnpj: None,
            grupo_empresa_id: None,
            empresa_id: None,
        }
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
    fn dados_capturados_checks_the_grupo() {
        let mut grupos = MockGrupoEmpresaRepository::new();
        grupos.expect_get().returning(|id| {
            Ok((id < 3).then(|| GrupoEmpresa {
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
            Arc::new(crate::ports::MockUnitOfWork::new()),
        );
        let with_grupo = |g| DadosCapturados {
            grupo_empresa_id: g,
            ..dados("+5511999999999")
        };
        assert!(block_on(s.dados_capturados(&with_grupo(None))).is_ok());
        assert!(block_on(s.dados_capturados(&with_grupo(Some(1)))).is_ok());
        for inactive_or_missing in [2, 3] {
            match block_on(s.dados_capturados(&with_grupo(Some(inactive_or_missing)))) {
                Err(DomainError::Validation(e)) => {
                    assert_eq!(e.to_json(), json!({"grupo_empresa_id":[GRUPO_NOT_FOUND]}))
                }
                other => panic!("{other:?}"),
            }
        }
        // A body the edge refused is reported with the check of its grupo.
        match block_on(s.invalid(FieldErrors::single("nome", m::REQUIRED), Some(2))) {
            DomainError::Validation(e) => assert_eq!(
                e.to_json(),
                json!({"nome":[m::REQUIRED],"grupo_empresa_id":[GRUPO_NOT_FOUND]})
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
        let uow = Arc::new(crate::fake_uow::FakeUow::new(
            |e| {
                assert_eq!(e.razao_social, "Nova");
                assert_eq!(e.cnpj, "00.000.000/0001-00");
                assert_eq!(e.responsavel_legal_nome, "A ser preenchido");
                let mut c = cliente(99);
                c.data = e.clone();
                Ok(c)
            },
            |c| Ok(contato(c)),
        ));
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
            uow.clone(),
        );
        let created = |d| match block_on(s.cadastro_manual(d)) {
            Ok(Cadastro::Created(c)) => c.data.cliente,
            Ok(Cadastro::AlreadyRegistered(_)) => -1,
            Err(e) => panic!("{e:?}"),
        };
        assert_eq!(
            created(DadosCapturados {
                empresa_id: Some(5),
                ..dados("5511999999999")
            }),
            5
        );
        assert_eq!(
            created(DadosCapturados {
                empresa_nome: Some("Existente".into()),
                ..dados("5511999999999")
            }),
            7
        );
        assert_eq!(
            created(DadosCapturados {
                empresa_nome: Some("Nova".into()),
                ..dados("5511999999999")
            }),
            99
        );
        assert_eq!(
            created(DadosCapturados {
                empresa_nome: Some("Nova".into()),
                ..dados("5511888888888")
            }),
            -1
        );
        match block_on(s.cadastro_manual(dados("5511999999999"))) {
            Err(DomainError::Validation(e)) => {
                assert_eq!(e.to_json(), json!({"non_field_errors":[EMPRESA_REQUIRED]}))
            }
            _ => panic!(),
        }
        match block_on(s.cadastro_manual(DadosCapturados {
            empresa_id: Some(6),
            ..dados("5511999999999")
        })) {
            Err(DomainError::Validation(e)) => {
                assert_eq!(e.to_json(), json!({"empresa_id":"Empresa não encontrada"}))
            }
            _ => panic!(),
        }
        // The new company and its contato went in one transaction.
        let steps = uow.steps();
        let nova = [
            "begin",
            "insert_cliente:00.000.000/0001-00",
            "insert_contato:99",
            "commit",
        ];
        assert!(steps.windows(4).any(|w| w == nova), "{steps:?}");
    }

    /// A contato that conflicts rolls the new company back with it.
    #[test]
    fn a_refused_contato_rolls_its_new_company_back() {
        let mut contatos = MockContatoRepository::new();
        contatos
            .expect_find_active_by_whatsapp()
            .returning(|_| Ok(vec![]));
        let mut clientes = MockClienteRepository::new();
        clientes.expect_find_by_nome().returning(|_| Ok(None));
        clientes.expect_find_by_cnpj().returning(|_| Ok(None));
        let uow = Arc::new(crate::fake_uow::FakeUow::new(
            |_| Ok(cliente(99)),
            |_| Err(DomainError::Conflict("contatos.whatsapp".into())),
        ));
        let s = ChatIntakeService::new(
            Arc::new(contatos),
            Arc::new(clientes),
            Arc::new(MockGrupoEmpresaRepository::new()),
            uow.clone(),
        );
        let cnpj = Cnpj::parse_formatted("11.222.333/0001-81").unwrap();
        match block_on(s.cadastro_manual(DadosCapturados {
            empresa_nome: Some("Nova".into()),
            empresa_cnpj: Some(cnpj),
            ..dados("5511999999999")
        })) {
            Err(DomainError::Validation(e)) => {
                assert_eq!(e.to_json(), json!({"non_field_errors":[UNIQUE_MSG]}))
            }
            Err(other) => panic!("{other:?}"),
            Ok(_) => panic!("created"),
        }
        assert_eq!(
            uow.steps(),
            [
                "begin",
                "insert_cliente:11222333000181",
                "insert_contato:99",
                "rollback"
            ]
        );
    }
}
