use super::*;
use crate::ports::{MockDocumentRenderer, MockDocumentoRepository};
use crate::template::TipoTemplate;
use crate::test_util::{block_on, clock, documento};
use kernel::storage::MockFileStorage;
use regex::Regex;
use serde_json::json;

/// Requests as the edge parses JSON bodies (the parsing itself is tested there).
struct Req;

impl Req {
    fn parse(v: &serde_json::Value, padrao: &str, campo: &str) -> Result<GerarRequest> {
        Ok(GerarRequest {
            cliente_id: v["cliente_id"].as_i64().expect("cliente_id"),
            template_nome: v
                .get("template_nome")
                .and_then(|t| t.as_str())
                .unwrap_or(padrao)
                .to_string(),
            dados: v
                .get(campo)
                .and_then(|d| d.as_object())
                .cloned()
                .unwrap_or_default(),
        })
    }

    fn contrato(v: &serde_json::Value, _form: bool) -> Result<GerarRequest> {
        Self::parse(v, "contrato_padrao", "dados_contrato")
    }

    fn boleto(v: &serde_json::Value, _form: bool) -> Result<GerarRequest> {
        Self::parse(v, "boleto_padrao", "dados_boleto")
    }
}

fn ctx() -> GeracaoContexto {
    GeracaoContexto {
        cliente: ClienteResumo {
            id: 7,
            razao_social: "ACME Comércio LTDA".into(),
            cnpj: "12.345.678/0001-95".into(),
            endereco_completo: "Rua A, 1 - Centro, São Paulo/SP".into(),
            email: Some("a@acme.com".into()),
            telefone: None,
            status: "ativo".into(),
        },
        empresa: Some(EmpresaResumo {
            razao_social: "DX Serviços SA".into(),
            cnpj: "11.222.333/0001-81".into(),
            endereco: EmpresaResumo::endereco_de("Av. Paulista", "1000", "Bela Vista"),
            cidade: Some("São Paulo".into()),
        }),
        templates: vec![],
    }
}

fn service(
    repo: MockDocumentoRepository,
    storage: MockFileStorage,
    renderer: MockDocumentRenderer,
) -> GeracaoService {
    GeracaoService::new(
        Arc::new(repo),
        Arc::new(storage),
        Arc::new(renderer),
        clock(),
    )
}

fn nome_arquivo(prefixo: &'static str) -> impl Fn(&str, &str, &[u8]) -> bool {
    move |dir, name, data| {
        let re = Regex::new(&format!("^{prefixo}_7_[0-9a-f]{{8}}\\.pdf$")).unwrap();
        dir == "clientes/documentos" && re.is_match(name) && data == b"%PDF-fake"
    }
}

/// The context is read within the caller's scope: a cliente outside it is the 404 of a
/// missing one, and nothing else is read or generated.
#[test]
fn the_context_is_read_within_the_callers_scope() {
    use crate::ports::{MockClientesDaGeracao, MockEmpresaDaGeracao};
    let mut clientes = MockClientesDaGeracao::new();
    clientes
        .expect_cliente()
        .withf(|id, owner| *id == 7 && *owner == Some(3))
        .returning(|_, _| Ok(None));
    clientes
        .expect_cliente()
        .withf(|id, owner| *id == 7 && owner.is_none())
        .returning(|_, _| Ok(Some(ctx().cliente)));
    let mut empresa = MockEmpresaDaGeracao::new();
    empresa
        .expect_empresa()
        .times(1)
        .returning(|| Ok(ctx().empresa));
    empresa.expect_templates().times(1).returning(|| Ok(vec![]));
    let mut repo = MockDocumentoRepository::new();
    repo.expect_insert().never();
    let s = service(repo, MockFileStorage::new(), MockDocumentRenderer::new())
        .with_fontes(Arc::new(clientes), Arc::new(empresa));
    let req = GerarRequest {
        cliente_id: 7,
        template_nome: "contrato_padrao".into(),
        dados: Map::new(),
    };
    assert!(matches!(
        block_on(s.contrato(&req, 3, Some(3))),
        Err(DomainError::NotFound("Cliente"))
    ));
    assert!(matches!(
        block_on(s.boleto(&req, 3, Some(3))),
        Err(DomainError::NotFound("Cliente"))
    ));
    assert_eq!(block_on(s.contexto(7, None)).unwrap(), ctx());
}

#[test]
fn fill_dict_precedence_and_dates() {
    let mut c = ctx();
    c.empresa = None;
    let extra = json!({"cliente_nome": "Outro", "data_contrato": "x", "valor": 10})
        .as_object()
        .cloned()
        .unwrap();
    let d = montar_dados(&c, &extra, clock().0);
    assert_eq!(d["cliente_nome"], json!("Outro"));
    assert_eq!(d["empresa_nome"], json!("Empresa"));
    assert_eq!(d["cliente_telefone"], Value::Null);
    assert_eq!(d["valor"], json!(10));
    assert_eq!(d["data_contrato"], json!("12/10/2025"));
    assert_eq!(d["data_geracao"], json!("12/10/2025 13:18"));
    assert_eq!(preencher("{{cliente_telefone}}", &d), "None");
}

#[test]
fn gerar_contrato_renders_stores_and_records() {
    let mut renderer = MockDocumentRenderer::new();
    renderer
        .expect_render_contrato()
        .withf(|p| {
            p.titulo == "contrato_padrao - ACME Comércio LTDA"
                && p.paragrafos[0] == "CONTRATO DE PRESTAÇÃO DE SERVIÇOS"
                && p.paragrafos.iter().any(|l| {
                    l.contains("DX Serviços SA, inscrita no CNPJ sob o nº 11.222.333/0001-81")
                })
                && p.paragrafos
                    .iter()
                    .any(|l| l.contains("Av. Paulista, 1000 - Bela Vista"))
                && p.paragrafos.iter().any(|l| l == "Data: 12/10/2025")
                && p.assinaturas.len() == 2
        })
        .times(1)
        .returning(|_| Ok(b"%PDF-fake".to_vec()));
    let mut storage = MockFileStorage::new();
    storage
        .expect_save()
        .withf(nome_arquivo("contrato"))
        .times(1)
        .returning(|dir, name, _| Ok(format!("{dir}/{name}")));
    let mut repo = MockDocumentoRepository::new();
    repo.expect_insert()
        .withf(|n| {
            n.cliente_id == 7
                && n.nome == "contrato_padrao - ACME Comércio LTDA"
                && n.tipo_documento == TipoDocumento::Contrato
                && n.status == StatusDocumento::Gerado
                && n.origem == OrigemDocumento::Gerado
                && n.template_usado.as_deref() == Some("contrato_padrao")
                && n.arquivo.starts_with("clientes/documentos/contrato_7_")
                && n.dados_preenchidos["prazo"] == json!("12 meses")
                && n.data_vencimento == NaiveDate::from_ymd_opt(2030, 1, 31)
                && n.usuario_upload_id == Some(3)
                && n.ativo
        })
        .times(1)
        .returning(|_| Ok(documento(10)));
    let s = service(repo, storage, renderer);
    let req = Req::contrato(&json!({
        "cliente_id": 7, "dados_contrato": {"prazo": "12 meses", "data_vencimento": "2030-01-31"}
    }), false)
    .unwrap();
    assert_eq!(block_on(s.gerar_contrato(&ctx(), &req, 3)).unwrap().id, 10);
}

#[test]
fn gerar_contrato_refusals() {
    let s = service(
        MockDocumentoRepository::new(),
        MockFileStorage::new(),
        MockDocumentRenderer::new(),
    );
    let req = Req::contrato(&json!({"cliente_id": 7, "template_nome": "nope"}), false).unwrap();
    let err = block_on(s.gerar_contrato(&ctx(), &req, 1)).unwrap_err();
    assert!(matches!(err, DomainError::NotFoundMsg(m) if m == "Template \"nope\" não encontrado"));
    let mut inativo = ctx();
    inativo.cliente.status = "inativo".into();
    let req = Req::contrato(&json!({"cliente_id": 7}), false).unwrap();
    assert!(matches!(
        block_on(s.gerar_contrato(&inativo, &req, 1)),
        Err(DomainError::NotFound("Cliente"))
    ));
}

#[test]
fn configured_templates_replace_builtins() {
    let mut renderer = MockDocumentRenderer::new();
    renderer
        .expect_render_contrato()
        .withf(|p| {
            p.paragrafos == vec!["Proposta para ACME Comércio LTDA: {{desconhecido}}".to_string()]
        })
        .returning(|_| Ok(b"%PDF-fake".to_vec()));
    let mut storage = MockFileStorage::new();
    storage
        .expect_save()
        .returning(|d, n, _| Ok(format!("{d}/{n}")));
    storage.expect_delete().times(1).returning(|_| Ok(()));
    let mut repo = MockDocumentoRepository::new();
    repo.expect_insert()
        .returning(|_| Err(DomainError::internal("db down")));
    let s = service(repo, storage, renderer);
    let mut c = ctx();
    c.templates = vec![Template {
        nome: "proposta".into(),
        tipo: TipoTemplate::Proposta,
        conteudo: "Proposta para {{cliente_nome}}: {{desconhecido}}".into(),
        variaveis: vec![],
    }];
    let req = Req::contrato(
        &json!({"cliente_id": 7, "template_nome": "proposta"}),
        false,
    )
    .unwrap();
    // The insert fails: the stored file is deleted and the error propagates.
    assert!(matches!(
        block_on(s.gerar_contrato(&c, &req, 1)),
        Err(DomainError::Internal(_))
    ));
}

#[test]
fn gerar_boleto_computes_numbers_and_pix() {
    let mut renderer = MockDocumentRenderer::new();
    renderer
        .expect_render_boleto()
        .withf(|b| {
            b.banco_codigo_dv == "001-9"
                && b.linha_digitavel == "00190.50095 40144.816069 06809.350314 3 37370000000100"
                && b.codigo_barras == "00193373700000001000500940144816060680935031"
                && b.valor == "R$ 1,00"
                && b.vencimento == "31/12/2007"
                && b.pagador_nome == "ACME Comércio LTDA"
                && b.beneficiario_nome == "DX Serviços SA"
                && b.pix_payload
                    .as_deref()
                    .is_some_and(|p| p.contains("0014br.gov.bcb.pix0114+5511999999999"))
                && b.instrucoes
                    .iter()
                    .any(|l| l.contains("Linha digitável: 00190.50095"))
        })
        .times(1)
        .returning(|_| Ok(b"%PDF-fake".to_vec()));
    let mut storage = MockFileStorage::new();
    storage
        .expect_save()
        .withf(nome_arquivo("boleto"))
        .returning(|d, n, _| Ok(format!("{d}/{n}")));
    let mut repo = MockDocumentoRepository::new();
    repo.expect_insert()
        .withf(|n| {
            n.tipo_documento == TipoDocumento::Boleto
                && n.nome == "boleto_padrao - ACME Comércio LTDA"
                && n.dados_preenchidos["codigo_barras"]
                    == json!("00193373700000001000500940144816060680935031")
                && n.dados_preenchidos["linha_digitavel"]
                    .as_str()
                    .is_some_and(|l| l.len() == 54)
                && n.dados_preenchidos["pix_copia_e_cola"]
                    .as_str()
                    .is_some_and(|p| p.starts_with("000201"))
                && n.dados_preenchidos["banco"] == json!("001")
                && n.data_vencimento == NaiveDate::from_ymd_opt(2007, 12, 31)
        })
        .returning(|_| Ok(documento(11)));
    let s = service(repo, storage, renderer);
    let req = Req::boleto(&json!({"cliente_id": 7, "dados_boleto": {
        "banco": "001", "agencia": "1606", "conta": "6809350", "carteira": "31", "nosso_numero": "1448",
        "convenio": "050094", "valor": 1, "data_vencimento": "2007-12-31", "pix_chave": "+5511999999999"
    }}), false)
    .unwrap();
    assert_eq!(block_on(s.gerar_boleto(&ctx(), &req, 1)).unwrap().id, 11);
}

#[test]
fn gerar_boleto_invalid_data_is_a_400_before_any_side_effect() {
    let s = service(
        MockDocumentoRepository::new(),
        MockFileStorage::new(),
        MockDocumentRenderer::new(),
    );
    let req = Req::boleto(
        &json!({"cliente_id": 7, "dados_boleto": {"banco": "001", "valor": "abc"}}),
        false,
    )
    .unwrap();
    let Err(DomainError::Validation(e)) = block_on(s.gerar_boleto(&ctx(), &req, 1)) else {
        panic!()
    };
    for campo in [
        "agencia",
        "carteira",
        "convenio",
        "valor",
        "data_vencimento",
    ] {
        assert!(e.has(campo), "{campo}");
    }
    assert!(!e.has("pix_chave"));
}
