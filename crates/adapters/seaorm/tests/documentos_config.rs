//! `SeaOrmDocumentoRepository` and `SeaOrmConfigRepository` against real databases: every
//! scenario runs on a fresh SQLite file and, when `TEST_DATABASE_URL` is set, also on a fresh
//! PostgreSQL schema.

use adapter_seaorm::*;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use clientes::ports::ClienteRepository;
use configuracoes::model::StoredConfig;
use configuracoes::ports::ConfigRepository;
use documentos::commands::DocumentoChanges;
use documentos::filter::{DocumentoFilter, DocumentoScope};
use documentos::model::{Documento, NewDocumento, OrigemDocumento, StatusDocumento, TipoDocumento};
use documentos::ports::DocumentoRepository;
use kernel::{DomainError, OrderBy, PageRequest};
use sea_orm::ConnectionTrait;
use serde_json::{Map, Value, json};
use std::sync::Arc;

// ---------------------------------------------------------------- harness

mod support;
use support::TestDb;

fn page(n: u64, size: u64) -> PageRequest {
    PageRequest {
        page: Some(n),
        page_size: size,
    }
}

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn object(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap()
}

fn novo(cliente_id: i64, nome: &str) -> NewDocumento {
    NewDocumento {
        cliente_id,
        nome: nome.into(),
        tipo_documento: TipoDocumento::Outro,
        status: StatusDocumento::Gerado,
        origem: OrigemDocumento::Manual,
        arquivo: format!("clientes/documentos/{}.pdf", nome.replace(' ', "_")),
        descricao: None,
        template_usado: None,
        dados_preenchidos: Map::new(),
        data_vencimento: None,
        data_upload: utc(2025, 5, 1, 12, 0),
        usuario_upload_id: None,
        ativo: true,
    }
}

fn ids(items: &[Documento]) -> Vec<i64> {
    items.iter().map(|d| d.id).collect()
}

async fn list_ids(repo: &SeaOrmDocumentoRepository, f: &DocumentoFilter) -> Vec<i64> {
    ids(&repo.list(f, page(1, 100)).await.unwrap().items)
}

// ---------------------------------------------------------------- documentos

#[tokio::test]
async fn documento_crud_json_and_foreign_keys() {
    for t in TestDb::all().await {
        let backend = t.name();
        let repo = t.docs();
        let ana = t.agent("ana").await;
        let c1 = t
            .cliente("Padaria São João Ltda", "11111111000111", Some(ana))
            .await;
        let c2 = t.cliente("Oficina Ômega", "22222222000122", None).await;

        assert!(repo.cliente_existe(c1).await.unwrap());
        assert!(!repo.cliente_existe(c1 + 1000).await.unwrap());

        let dados = object(json!({
            "cliente_nome": "Padaria São João Ltda",
            "observação": "Não há pendências — ação concluída ✓",
            "valor": 1234.5,
            "parcelas": [1, 2, {"vencimento": "10/11/2025"}],
            "ativo": true,
            "nada": null
        }));
        let mut n = novo(c1, "Contrato de Prestação");
        n.tipo_documento = TipoDocumento::Contrato;
        n.status = StatusDocumento::Enviado;
        n.origem = OrigemDocumento::Gerado;
        n.descricao = Some("Serviços de manutenção".into());
        n.template_usado = Some("contrato_padrao".into());
        n.dados_preenchidos = dados.clone();
        n.data_vencimento = Some(date(2025, 12, 31));
        n.data_upload = utc(2025, 10, 12, 13, 18);
        n.usuario_upload_id = Some(ana);
        let d = repo.insert(n.clone()).await.unwrap();
        assert!(d.id > 0, "{backend}");
        assert_eq!(d.cliente_id, c1);
        assert_eq!(d.cliente_nome.as_deref(), Some("Padaria São João Ltda"));
        assert_eq!(d.nome, "Contrato de Prestação");
        assert_eq!(d.tipo_documento, TipoDocumento::Contrato);
        assert_eq!(d.status, StatusDocumento::Enviado);
        assert_eq!(d.origem, OrigemDocumento::Gerado);
        assert_eq!(d.arquivo, n.arquivo);
        assert_eq!(d.descricao.as_deref(), Some("Serviços de manutenção"));
        assert_eq!(d.template_usado.as_deref(), Some("contrato_padrao"));
        assert_eq!(d.dados_preenchidos, dados, "{backend}: JSON round trip");
        assert_eq!(d.data_vencimento, Some(date(2025, 12, 31)));
        assert_eq!(d.data_upload, n.data_upload);
        assert_eq!(d.usuario_upload_id, Some(ana));
        assert_eq!(d.usuario_upload_nome.as_deref(), Some("ana"));
        assert!(d.ativo);
        assert_eq!(
            repo.get(d.id, &DocumentoScope::Superuser).await.unwrap(),
            Some(d.clone())
        );

        // Without an uploader: no joined name.
        let e = repo.insert(novo(c2, "Alvará")).await.unwrap();
        assert_eq!(e.usuario_upload_id, None);
        assert_eq!(e.usuario_upload_nome, None);
        assert_eq!(e.cliente_nome.as_deref(), Some("Oficina Ômega"));
        assert!(e.dados_preenchidos.is_empty());

        // Partial update: only the `Some` fields change.
        let u = repo
            .update(
                d.id,
                DocumentoChanges {
                    nome: Some("Contrato Renovado".into()),
                    descricao: Some(None),
                    data_vencimento: Some(None),
                    dados_preenchidos: Some(object(json!({"índice": "IPCA — 4,5%"}))),
                    status: Some(StatusDocumento::Assinado),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(u.nome, "Contrato Renovado");
        assert_eq!(u.descricao, None);
        assert_eq!(u.data_vencimento, None);
        assert_eq!(u.status, StatusDocumento::Assinado);
        assert_eq!(u.dados_preenchidos["índice"], json!("IPCA — 4,5%"));
        assert_eq!(u.template_usado.as_deref(), Some("contrato_padrao"));
        assert_eq!(u.tipo_documento, TipoDocumento::Contrato);
        assert_eq!(u.origem, OrigemDocumento::Gerado);
        assert_eq!(u.arquivo, d.arquivo);
        assert_eq!(u.data_upload, d.data_upload);
        assert_eq!(u.usuario_upload_nome.as_deref(), Some("ana"));

        // Moving to another cliente, a new file and the remaining fields.
        let u = repo
            .update(
                d.id,
                DocumentoChanges {
                    cliente_id: Some(c2),
                    tipo_documento: Some(TipoDocumento::Boleto),
                    origem: Some(OrigemDocumento::Importado),
                    arquivo: Some("clientes/documentos/novo.pdf".into()),
                    descricao: Some(Some("Boleto de março".into())),
                    template_usado: Some(None),
                    data_vencimento: Some(Some(date(2026, 1, 5))),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(u.cliente_id, c2);
        assert_eq!(u.cliente_nome.as_deref(), Some("Oficina Ômega"));
        assert_eq!(u.tipo_documento, TipoDocumento::Boleto);
        assert_eq!(u.origem, OrigemDocumento::Importado);
        assert_eq!(u.arquivo, "clientes/documentos/novo.pdf");
        assert_eq!(u.descricao.as_deref(), Some("Boleto de março"));
        assert_eq!(u.template_usado, None);
        assert_eq!(u.data_vencimento, Some(date(2026, 1, 5)));

        // No changes at all: the stored row comes back untouched.
        assert_eq!(
            repo.update(d.id, DocumentoChanges::default())
                .await
                .unwrap(),
            u
        );
        assert!(matches!(
            repo.update(d.id + 1000, DocumentoChanges::default()).await,
            Err(DomainError::NotFound("DocumentoCliente"))
        ));
        assert!(matches!(
            repo.update(
                d.id + 1000,
                DocumentoChanges {
                    nome: Some("x".into()),
                    ..Default::default()
                }
            )
            .await,
            Err(DomainError::NotFound("DocumentoCliente"))
        ));

        // A cliente that does not exist (the service checks first; a race still ends in a
        // field error, not a 500).
        match repo.insert(novo(c1 + 1000, "Órfão")).await {
            Err(DomainError::Validation(e)) => assert!(e.has("cliente"), "{backend}"),
            other => panic!("{backend}: {other:?}"),
        }
        match repo
            .update(
                e.id,
                DocumentoChanges {
                    cliente_id: Some(c1 + 1000),
                    ..Default::default()
                },
            )
            .await
        {
            Err(DomainError::Validation(e)) => assert!(e.has("cliente"), "{backend}"),
            other => panic!("{backend}: {other:?}"),
        }

        // Soft delete hides the row from every read but keeps it.
        repo.soft_delete(e.id).await.unwrap();
        assert_eq!(
            repo.get(e.id, &DocumentoScope::Superuser).await.unwrap(),
            None
        );
        assert_eq!(
            list_ids(&repo, &DocumentoFilter::new(DocumentoScope::Superuser)).await,
            vec![d.id]
        );
        assert!(matches!(
            repo.soft_delete(e.id + 1000).await,
            Err(DomainError::NotFound("DocumentoCliente"))
        ));
        // Reactivation through update.
        let back = repo
            .update(
                e.id,
                DocumentoChanges {
                    ativo: Some(true),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(back.ativo);
        assert!(
            repo.get(e.id, &DocumentoScope::Superuser)
                .await
                .unwrap()
                .is_some()
        );

        // Deleting the uploader keeps the document with a NULL uploader.
        t.db.execute_unprepared(&format!("DELETE FROM agents WHERE id = {ana}"))
            .await
            .unwrap();
        let g = repo
            .get(d.id, &DocumentoScope::Superuser)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(g.usuario_upload_id, None);
        assert_eq!(g.usuario_upload_nome, None);

        t.finish().await;
    }
}

#[tokio::test]
async fn documentos_cascade_with_their_cliente() {
    for t in TestDb::all().await {
        let repo = t.docs();
        let c1 = t.cliente("Cliente Um", "11111111000111", None).await;
        let c2 = t.cliente("Cliente Dois", "22222222000122", None).await;
        let a = repo.insert(novo(c1, "A")).await.unwrap();
        let b = repo.insert(novo(c1, "B")).await.unwrap();
        repo.soft_delete(b.id).await.unwrap();
        let c = repo.insert(novo(c2, "C")).await.unwrap();

        SeaOrmClienteRepository::new(t.db.clone())
            .delete(c1)
            .await
            .unwrap();
        assert!(!repo.cliente_existe(c1).await.unwrap());
        assert_eq!(
            repo.get(a.id, &DocumentoScope::Superuser).await.unwrap(),
            None
        );
        let left: Vec<i64> =
            t.db.query_all_raw(sea_orm::Statement::from_string(
                t.db.get_database_backend(),
                "SELECT id FROM documentos ORDER BY id",
            ))
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get::<i64>("", "id").unwrap())
            .collect();
        assert_eq!(left, vec![c.id], "{}: inactive rows cascade too", t.name());
        t.finish().await;
    }
}

/// The unit of work deletes a cliente's documentos (active or not) with the cliente, returning
/// their files; a transaction dropped without commit leaves both in place.
#[tokio::test]
async fn the_unit_of_work_deletes_a_cliente_with_its_documentos() {
    use clientes::ports::UnitOfWork;
    for t in TestDb::all().await {
        let repo = t.docs();
        let c1 = t.cliente("Cliente Um", "11111111000111", None).await;
        let c2 = t.cliente("Cliente Dois", "22222222000122", None).await;
        let a = repo.insert(novo(c1, "A")).await.unwrap();
        let b = repo.insert(novo(c1, "B")).await.unwrap();
        repo.soft_delete(b.id).await.unwrap();
        let c = repo.insert(novo(c2, "C")).await.unwrap();
        let uow = SeaOrmUnitOfWork::new(t.db.clone());

        // Rolled back: nothing changes.
        let mut tx = uow.begin().await.unwrap();
        assert_eq!(tx.delete_documentos_do_cliente(c1).await.unwrap().len(), 2);
        tx.delete_cliente(c1).await.unwrap();
        drop(tx);
        assert!(repo.cliente_existe(c1).await.unwrap());
        assert!(
            repo.get(a.id, &DocumentoScope::Superuser)
                .await
                .unwrap()
                .is_some()
        );

        let mut tx = uow.begin().await.unwrap();
        let mut files = tx.delete_documentos_do_cliente(c1).await.unwrap();
        files.sort();
        tx.delete_cliente(c1).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            files,
            [a.arquivo.clone(), b.arquivo.clone()],
            "{}",
            t.name()
        );
        assert!(!repo.cliente_existe(c1).await.unwrap());
        assert!(
            repo.get(c.id, &DocumentoScope::Superuser)
                .await
                .unwrap()
                .is_some()
        );

        // A cliente that is gone: NotFound, and the transaction is simply dropped.
        let mut tx = uow.begin().await.unwrap();
        assert!(
            tx.delete_documentos_do_cliente(c1)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            tx.delete_cliente(c1).await,
            Err(kernel::DomainError::NotFound("Cliente"))
        ));
        drop(tx);
        t.finish().await;
    }
}

/// A varied data set: (documents, clientes owned by agent 1, agent ids).
struct Fixture {
    docs: Vec<Documento>,
    owner: i64,
    other_owner: i64,
    c_owner: i64,
    c_other: i64,
}

async fn fixture(t: &TestDb) -> Fixture {
    let repo = t.docs();
    let owner = t.agent("dono").await;
    let other_owner = t.agent("outro").await;
    let c_owner = t
        .cliente("Construtora Açaí", "11111111000111", Some(owner))
        .await;
    let c_other = t
        .cliente("Mercado Boa Vista", "22222222000122", Some(other_owner))
        .await;
    let c_nobody = t.cliente("Sem Dono", "33333333000133", None).await;

    let specs: Vec<NewDocumento> = vec![
        NewDocumento {
            tipo_documento: TipoDocumento::Contrato,
            status: StatusDocumento::Assinado,
            origem: OrigemDocumento::Gerado,
            template_usado: Some("Contrato_Padrao".into()),
            descricao: Some("Prestação de SERVIÇOS de limpeza".into()),
            data_vencimento: Some(date(2025, 3, 31)),
            // 2025-03-09 23:30 in São Paulo.
            data_upload: utc(2025, 3, 10, 2, 30),
            usuario_upload_id: Some(owner),
            ..novo(c_owner, "Contrato de PRESTAÇÃO")
        },
        NewDocumento {
            tipo_documento: TipoDocumento::Boleto,
            status: StatusDocumento::Gerado,
            origem: OrigemDocumento::Gerado,
            template_usado: Some("boleto_padrao".into()),
            descricao: Some("Desconto de 100% na taxa".into()),
            data_vencimento: Some(date(2025, 4, 10)),
            // 2025-03-10 00:00 in São Paulo.
            data_upload: utc(2025, 3, 10, 3, 0),
            ..novo(c_owner, "Boleto março")
        },
        NewDocumento {
            tipo_documento: TipoDocumento::Certificado,
            status: StatusDocumento::Aprovado,
            origem: OrigemDocumento::Importado,
            descricao: Some("certificado digital A1 de 1000 dias".into()),
            data_upload: utc(2025, 3, 11, 2, 59),
            ..novo(c_other, "Alvará ÔMEGA")
        },
        NewDocumento {
            tipo_documento: TipoDocumento::Licenca,
            status: StatusDocumento::Expirado,
            descricao: Some("taxa fixa anual".into()),
            data_vencimento: Some(date(2025, 1, 1)),
            data_upload: utc(2025, 3, 11, 3, 0),
            ..novo(c_other, "Licença de funcionamento")
        },
        NewDocumento {
            tipo_documento: TipoDocumento::Proposta,
            status: StatusDocumento::Enviado,
            template_usado: Some("proposta_x".into()),
            descricao: Some("taxa_fixa".into()),
            data_vencimento: Some(date(2025, 3, 31)),
            data_upload: utc(2025, 2, 1, 15, 0),
            ..novo(c_nobody, "Proposta comercial")
        },
        NewDocumento {
            status: StatusDocumento::Assinado,
            descricao: Some("Comprovante de endereço".into()),
            // Same instant as the first: ties are broken by id.
            data_upload: utc(2025, 3, 10, 2, 30),
            ..novo(c_nobody, "Recibo")
        },
        NewDocumento {
            tipo_documento: TipoDocumento::Contrato,
            status: StatusDocumento::Assinado,
            data_upload: utc(2025, 3, 12, 12, 0),
            ..novo(c_owner, "Contrato antigo (inativo)")
        },
    ];
    let mut docs = Vec::new();
    for n in specs {
        docs.push(repo.insert(n).await.unwrap());
    }
    let inativo = docs.pop().unwrap();
    repo.soft_delete(inativo.id).await.unwrap();
    docs.push(Documento {
        ativo: false,
        ..inativo
    });
    Fixture {
        docs,
        owner,
        other_owner,
        c_owner,
        c_other,
    }
}

/// The ids the reference semantics (`DocumentoFilter::matches` plus the scope) select.
fn expected(fx: &Fixture, f: &DocumentoFilter) -> Vec<i64> {
    let mut out: Vec<i64> = fx
        .docs
        .iter()
        .filter(|d| match f.scope {
            DocumentoScope::Superuser => true,
            DocumentoScope::Owner(u) => {
                (u == fx.owner && d.cliente_id == fx.c_owner)
                    || (u == fx.other_owner && d.cliente_id == fx.c_other)
            }
        })
        .filter(|d| f.matches(d))
        .map(|d| d.id)
        .collect();
    out.sort_unstable();
    out
}

#[tokio::test]
async fn documento_filters_match_the_reference_semantics() {
    for t in TestDb::all().await {
        let backend = t.name();
        let repo = t.docs();
        let fx = fixture(&t).await;
        let base = DocumentoFilter::new(DocumentoScope::Superuser);
        let with = |g: &dyn Fn(&mut DocumentoFilter)| {
            let mut f = base.clone();
            g(&mut f);
            f
        };
        let terms = |s: &str| s.split_whitespace().map(str::to_lowercase).collect();
        let cases: Vec<(&str, DocumentoFilter, usize)> = vec![
            ("none", base.clone(), 6),
            ("cliente", with(&|f| f.cliente = Some(fx.c_owner)), 2),
            ("nome ascii", with(&|f| f.nome = Some("contrato".into())), 1),
            (
                "nome accents",
                with(&|f| f.nome = Some("prestação".into())),
                1,
            ),
            ("nome upper", with(&|f| f.nome = Some("ÔMEGA".into())), 1),
            (
                "nome with space",
                with(&|f| f.nome = Some("de func".into())),
                1,
            ),
            (
                "tipo",
                with(&|f| f.tipo_documento = Some(TipoDocumento::Contrato)),
                1,
            ),
            (
                "status",
                with(&|f| f.status = Some(StatusDocumento::Enviado)),
                1,
            ),
            (
                "origem",
                with(&|f| f.origem = Some(OrigemDocumento::Gerado)),
                2,
            ),
            (
                "template",
                with(&|f| f.template_usado = Some("PADRAO".into())),
                2,
            ),
            ("ativo true", with(&|f| f.ativo = Some(true)), 6),
            ("ativo false", with(&|f| f.ativo = Some(false)), 0),
            (
                "upload after (São Paulo date)",
                with(&|f| f.data_upload_apos = Some(date(2025, 3, 10))),
                3,
            ),
            (
                "upload before (São Paulo date)",
                with(&|f| f.data_upload_antes = Some(date(2025, 3, 9))),
                3,
            ),
            (
                "upload on one day",
                with(&|f| {
                    f.data_upload_apos = Some(date(2025, 3, 10));
                    f.data_upload_antes = Some(date(2025, 3, 10));
                }),
                2,
            ),
            (
                "vencimento after",
                with(&|f| f.data_vencimento_apos = Some(date(2025, 3, 31))),
                3,
            ),
            (
                "vencimento before",
                with(&|f| f.data_vencimento_antes = Some(date(2025, 3, 31))),
                3,
            ),
            (
                "vencimento range",
                with(&|f| {
                    f.data_vencimento_apos = Some(date(2025, 2, 1));
                    f.data_vencimento_antes = Some(date(2025, 4, 1));
                }),
                2,
            ),
            ("search nome", with(&|f| f.search = terms("boleto")), 1),
            (
                "search descricao accents",
                with(&|f| f.search = terms("SERVIÇOS")),
                1,
            ),
            ("search template", with(&|f| f.search = terms("padrao")), 2),
            (
                "search all terms must match",
                with(&|f| f.search = terms("contrato limpeza")),
                1,
            ),
            (
                "search terms in different fields",
                with(&|f| f.search = terms("proposta TAXA_")),
                1,
            ),
            (
                "search no match",
                with(&|f| f.search = terms("contrato inexistente")),
                0,
            ),
            (
                "search percent is literal",
                with(&|f| f.search = terms("100%")),
                1,
            ),
            (
                "search underscore is literal",
                with(&|f| f.search = terms("a_f")),
                1,
            ),
            (
                "combined",
                with(&|f| {
                    f.cliente = Some(fx.c_owner);
                    f.origem = Some(OrigemDocumento::Gerado);
                    f.search = terms("março");
                }),
                1,
            ),
            (
                "owner scope",
                DocumentoFilter::new(DocumentoScope::Owner(fx.owner)),
                2,
            ),
            (
                "other owner scope",
                DocumentoFilter::new(DocumentoScope::Owner(fx.other_owner)),
                2,
            ),
            (
                "owner scope and another cliente",
                {
                    let mut f = DocumentoFilter::new(DocumentoScope::Owner(fx.owner));
                    f.cliente = Some(fx.c_other);
                    f
                },
                0,
            ),
            (
                "unknown owner",
                DocumentoFilter::new(DocumentoScope::Owner(fx.owner + 1000)),
                0,
            ),
        ];
        for (name, f, n) in cases {
            let want = expected(&fx, &f);
            assert_eq!(
                want.len(),
                n,
                "{name}: the fixture does not test what it says"
            );
            let p = repo.list(&f, page(1, 100)).await.unwrap();
            let mut got = ids(&p.items);
            got.sort_unstable();
            assert_eq!(got, want, "{backend}: {name}");
            assert_eq!(p.count, n as u64, "{backend}: {name} count");
        }

        // `get` applies the scope.
        let mine = fx.docs[0].id;
        let theirs = fx.docs[2].id;
        let owner = DocumentoScope::Owner(fx.owner);
        assert!(repo.get(mine, &owner).await.unwrap().is_some());
        assert_eq!(repo.get(theirs, &owner).await.unwrap(), None);
        assert!(
            repo.get(theirs, &DocumentoScope::Owner(fx.other_owner))
                .await
                .unwrap()
                .is_some()
        );
        assert_eq!(
            repo.get(fx.docs[6].id, &DocumentoScope::Superuser)
                .await
                .unwrap(),
            None,
            "inactive"
        );
        t.finish().await;
    }
}

#[tokio::test]
async fn documento_ordering_and_tie_breaks() {
    for t in TestDb::all().await {
        let backend = t.name();
        let repo = t.docs();
        let fx = fixture(&t).await;
        let id = |i: usize| fx.docs[i].id;
        let order = |o: Vec<OrderBy>| {
            let mut f = DocumentoFilter::new(DocumentoScope::Superuser);
            f.ordering = o;
            f
        };
        let cases = vec![
            // Default `-data_upload`; docs 0 and 5 share an instant: id descending.
            (
                vec![OrderBy::desc("data_upload")],
                vec![id(3), id(2), id(1), id(5), id(0), id(4)],
            ),
            (
                vec![OrderBy::asc("data_upload")],
                vec![id(4), id(0), id(5), id(1), id(2), id(3)],
            ),
            (
                vec![OrderBy::asc("nome")],
                vec![id(2), id(1), id(0), id(3), id(4), id(5)],
            ),
            (
                vec![OrderBy::desc("nome")],
                vec![id(5), id(4), id(3), id(0), id(1), id(2)],
            ),
            // NULL due dates last ascending, first descending, on both back-ends.
            (
                vec![OrderBy::asc("data_vencimento")],
                vec![id(3), id(0), id(4), id(1), id(2), id(5)],
            ),
            (
                vec![OrderBy::desc("data_vencimento")],
                vec![id(5), id(2), id(1), id(4), id(0), id(3)],
            ),
            // Several keys: status, then -data_upload, then id descending (docs 0 and 5
            // share both the status and the upload instant).
            (
                vec![OrderBy::asc("status"), OrderBy::desc("data_upload")],
                vec![id(2), id(5), id(0), id(4), id(3), id(1)],
            ),
        ];
        for (o, want) in cases {
            let f = order(o.clone());
            assert_eq!(list_ids(&repo, &f).await, want, "{backend}: {o:?}");
        }
        t.finish().await;
    }
}

#[tokio::test]
async fn documento_pagination() {
    for t in TestDb::all().await {
        let backend = t.name();
        let repo = t.docs();
        let f = DocumentoFilter::new(DocumentoScope::Superuser);

        // Empty: page 1 exists, page 2 does not.
        let p = repo.list(&f, page(1, 20)).await.unwrap();
        assert_eq!((p.count, p.page, p.items.len()), (0, 1, 0));
        let invalid =
            |r: kernel::Result<kernel::Page<Documento>>| matches!(r, Err(DomainError::InvalidPage));
        assert!(invalid(repo.list(&f, page(2, 20)).await), "{backend}");

        let c = t.cliente("Paginado", "11111111000111", None).await;
        let start = utc(2025, 1, 1, 12, 0);
        let mut all = Vec::new();
        for i in 0..25 {
            let mut n = novo(c, &format!("Doc {i:02}"));
            n.data_upload = start + Duration::hours(i);
            all.push(repo.insert(n).await.unwrap().id);
        }
        all.reverse(); // default ordering: newest first

        let p1 = repo.list(&f, page(1, 10)).await.unwrap();
        assert_eq!((p1.count, p1.page, p1.page_size), (25, 1, 10));
        assert_eq!(ids(&p1.items), all[..10].to_vec());
        assert!(p1.has_next() && !p1.has_previous());
        let p3 = repo.list(&f, page(3, 10)).await.unwrap();
        assert_eq!(ids(&p3.items), all[20..].to_vec());
        assert!(!p3.has_next());
        let last = repo
            .list(
                &f,
                PageRequest {
                    page: None,
                    page_size: 10,
                },
            )
            .await
            .unwrap();
        assert_eq!(last.page, 3);
        assert_eq!(ids(&last.items), all[20..].to_vec());
        assert!(invalid(repo.list(&f, page(4, 10)).await), "{backend}");
        // A filter shrinks the page count.
        let mut g = f.clone();
        g.nome = Some("Doc 2".into());
        let p = repo.list(&g, page(1, 2)).await.unwrap();
        assert_eq!(p.count, 5);
        assert!(invalid(repo.list(&g, page(4, 2)).await), "{backend}");
        t.finish().await;
    }
}

// ---------------------------------------------------------------- configuração

fn set_chat_key(
    key: &'static str,
    value: Value,
) -> impl Fn(Option<StoredConfig>) -> kernel::Result<StoredConfig> + Send + Sync {
    move |cur| {
        let mut cfg = cur.unwrap_or_else(|| StoredConfig::with_defaults(utc(2025, 1, 1, 0, 0)));
        cfg.chat_settings.insert(key.into(), value.clone());
        Ok(cfg)
    }
}

#[tokio::test]
async fn config_first_update_creates_the_row() {
    for t in TestDb::all().await {
        let backend = t.name();
        let repo = t.config();
        assert_eq!(repo.load().await.unwrap(), None);

        let now = utc(2025, 10, 12, 13, 18) + Duration::microseconds(123_456);
        let seen = std::sync::Mutex::new(Vec::new());
        let stored = repo
            .update(&|cur: Option<StoredConfig>| {
                seen.lock().unwrap().push(cur.is_some());
                let mut cfg = cur.unwrap_or_else(|| StoredConfig::with_defaults(now));
                cfg.company_data
                    .insert("razao_social".into(), json!("Açaí & Cia — São Paulo"));
                cfg.document_templates.insert(
                    "contrato_padrao".into(),
                    json!({"nome": "Contrato padrão", "variaveis": ["cliente_nome"]}),
                );
                Ok(cfg)
            })
            .await
            .unwrap();
        assert_eq!(*seen.lock().unwrap(), vec![false], "{backend}");
        let mut want = StoredConfig::with_defaults(now);
        want.company_data
            .insert("razao_social".into(), json!("Açaí & Cia — São Paulo"));
        want.document_templates.insert(
            "contrato_padrao".into(),
            json!({"nome": "Contrato padrão", "variaveis": ["cliente_nome"]}),
        );
        assert_eq!(stored, want, "{backend}");
        assert_eq!(repo.load().await.unwrap(), Some(want.clone()));

        // The next update sees the stored row and keeps the single row.
        let later = now + Duration::days(1);
        let stored = repo
            .update(&|cur: Option<StoredConfig>| {
                let mut cfg = cur.expect("row exists");
                cfg.appearance
                    .insert("primary_color".into(), json!("#ff0000"));
                cfg.updated_at = later;
                cfg.id = 99; // ignored: the existing row is the one written
                Ok(cfg)
            })
            .await
            .unwrap();
        assert_eq!(stored.id, 1);
        assert_eq!(stored.created_at, now);
        assert_eq!(stored.updated_at, later);
        assert_eq!(stored.appearance["primary_color"], json!("#ff0000"));
        assert_eq!(
            stored.company_data["razao_social"],
            json!("Açaí & Cia — São Paulo")
        );
        assert_eq!(repo.load().await.unwrap(), Some(stored));
        let rows =
            t.db.query_one_raw(sea_orm::Statement::from_string(
                t.db.get_database_backend(),
                "SELECT COUNT(*) AS n FROM app_config",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap();
        assert_eq!(rows, 1, "{backend}");
        t.finish().await;
    }
}

#[tokio::test]
async fn config_apply_error_writes_nothing() {
    for t in TestDb::all().await {
        let backend = t.name();
        let repo = t.config();
        let failing = |_: Option<StoredConfig>| -> kernel::Result<StoredConfig> {
            Err(DomainError::Conflict("regra violada".into()))
        };
        match repo.update(&failing).await {
            Err(DomainError::Conflict(m)) => assert_eq!(m, "regra violada"),
            other => panic!("{backend}: {other:?}"),
        }
        assert_eq!(repo.load().await.unwrap(), None, "{backend}");

        let created = repo.update(&set_chat_key("a", json!(1))).await.unwrap();
        let changes_then_fails = |cur: Option<StoredConfig>| -> kernel::Result<StoredConfig> {
            let mut cfg = cur.expect("row exists");
            cfg.chat_settings.insert("a".into(), json!(2));
            Err(DomainError::Validation(kernel::FieldErrors::single(
                "chat_settings.a",
                "inválido",
            )))
        };
        match repo.update(&changes_then_fails).await {
            Err(DomainError::Validation(e)) => assert!(e.has("chat_settings.a")),
            other => panic!("{backend}: {other:?}"),
        }
        assert_eq!(repo.load().await.unwrap(), Some(created), "{backend}");
        t.finish().await;
    }
}

/// Many tasks patch different keys at the same time; every patch must survive, both when the
/// row already exists (row lock / write lock) and when the tasks race to create it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn config_concurrent_updates_all_survive() {
    const KEYS: [&str; 8] = ["k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7"];
    for t in TestDb::all().await {
        let backend = t.name();
        for create_first in [false, true] {
            t.db.execute_unprepared("DELETE FROM app_config")
                .await
                .unwrap();
            let repo = Arc::new(t.config());
            if create_first {
                repo.update(&set_chat_key("seed", json!(true)))
                    .await
                    .unwrap();
            }
            let mut tasks = Vec::new();
            for (i, key) in KEYS.into_iter().enumerate() {
                let repo = repo.clone();
                tasks.push(tokio::spawn(async move {
                    let patch = set_chat_key(key, json!(i));
                    repo.update(&move |cur: Option<StoredConfig>| {
                        // Widen the window between the read and the write.
                        std::thread::sleep(std::time::Duration::from_millis(5));
                        patch(cur)
                    })
                    .await
                }));
            }
            for task in tasks {
                task.await.unwrap().unwrap();
            }
            let cfg = repo.load().await.unwrap().unwrap();
            for (i, key) in KEYS.into_iter().enumerate() {
                assert_eq!(
                    cfg.chat_settings.get(key),
                    Some(&json!(i)),
                    "{backend} (row existed: {create_first}): {key} lost"
                );
            }
            assert_eq!(
                cfg.chat_settings.contains_key("seed"),
                create_first,
                "{backend}"
            );
        }
        t.finish().await;
    }
}
