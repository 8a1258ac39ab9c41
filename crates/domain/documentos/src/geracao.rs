//! `gerar-contrato` / `gerar-boleto` (contract §4.4 + §4.13): fill a template, render a PDF,
//! store it and record the Documento.

use crate::STORAGE_DIR;
use crate::boleto::{DadosBoleto, formatar_reais};
use crate::model::{Documento, NewDocumento, OrigemDocumento, StatusDocumento, TipoDocumento};
use crate::pix::PixEstatico;
use crate::ports::{ClientesDaGeracao, DocumentRenderer, DocumentoRepository, EmpresaDaGeracao};
use crate::render::{BoletoPdf, ContratoPdf, Parte, paragrafos};
use crate::template::{Template, preencher, resolver_template};
use chrono::{DateTime, NaiveDate, Utc};
use kernel::storage::FileStorage;
use kernel::{Clock, DomainError, Result};
use serde_json::{Map, Value};
use std::sync::Arc;

/// What generation needs to know about the cliente (loaded by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClienteResumo {
    pub id: i64,
    pub razao_social: String,
    pub cnpj: String,
    pub endereco_completo: String,
    pub email: Option<String>,
    pub telefone: Option<String>,
    /// Cliente status wire string; generation requires `"ativo"`.
    pub status: String,
}

/// The company (issuer) from the company settings; `None` when there is no config row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmpresaResumo {
    pub razao_social: String,
    pub cnpj: String,
    /// `"<logradouro>, <numero> - <bairro>"` (see [`EmpresaResumo::endereco_de`]).
    pub endereco: String,
    /// City, used as the PIX merchant city (default `SAO PAULO`).
    pub cidade: Option<String>,
}

impl EmpresaResumo {
    pub fn endereco_de(logradouro: &str, numero: &str, bairro: &str) -> String {
        format!("{logradouro}, {numero} - {bairro}")
    }
}

/// Everything a generation call needs besides the request.
#[derive(Debug, Clone, PartialEq)]
pub struct GeracaoContexto {
    pub cliente: ClienteResumo,
    pub empresa: Option<EmpresaResumo>,
    /// `Config.document_templates` (empty → built-ins).
    pub templates: Vec<Template>,
}

/// A `gerar-contrato` / `gerar-boleto` request (parsed by the edge).
#[derive(Debug, Clone, PartialEq)]
pub struct GerarRequest {
    pub cliente_id: i64,
    pub template_nome: String,
    /// `dados_contrato` / `dados_boleto`: the template's extra fill values (a boleto's are
    /// validated by [`GeracaoService::gerar_boleto`]).
    pub dados: Map<String, Value>,
}

/// The fill dict of §4.4, in precedence order (later keys win): cliente fields, empresa fields,
/// the request's extra object, then `data_contrato` and `data_geracao` (current UTC time).
pub fn montar_dados(
    ctx: &GeracaoContexto,
    extra: &Map<String, Value>,
    agora: DateTime<Utc>,
) -> Map<String, Value> {
    let opt = |v: &Option<String>| v.clone().map_or(Value::Null, Value::String);
    let mut d = Map::new();
    let c = &ctx.cliente;
    d.insert("cliente_nome".into(), Value::String(c.razao_social.clone()));
    d.insert("cliente_cnpj".into(), Value::String(c.cnpj.clone()));
    d.insert(
        "cliente_endereco".into(),
        Value::String(c.endereco_completo.clone()),
    );
    d.insert("cliente_email".into(), opt(&c.email));
    d.insert("cliente_telefone".into(), opt(&c.telefone));
    let (nome, cnpj, endereco) = match &ctx.empresa {
        Some(e) => (e.razao_social.clone(), e.cnpj.clone(), e.endereco.clone()),
        None => ("Empresa".to_string(), String::new(), String::new()),
    };
    d.insert("empresa_nome".into(), Value::String(nome));
    d.insert("empresa_cnpj".into(), Value::String(cnpj));
    d.insert("empresa_endereco".into(), Value::String(endereco));
    for (k, v) in extra {
        d.insert(k.clone(), v.clone());
    }
    d.insert(
        "data_contrato".into(),
        Value::String(agora.format("%d/%m/%Y").to_string()),
    );
    d.insert(
        "data_geracao".into(),
        Value::String(agora.format("%d/%m/%Y %H:%M").to_string()),
    );
    d
}

/// Contract and boleto generation.
pub struct GeracaoService {
    repo: Arc<dyn DocumentoRepository>,
    storage: Arc<dyn FileStorage>,
    renderer: Arc<dyn DocumentRenderer>,
    clock: Arc<dyn Clock>,
    /// Where the context comes from (see [`GeracaoService::with_fontes`]).
    fontes: Option<(Arc<dyn ClientesDaGeracao>, Arc<dyn EmpresaDaGeracao>)>,
}

impl GeracaoService {
    pub fn new(
        repo: Arc<dyn DocumentoRepository>,
        storage: Arc<dyn FileStorage>,
        renderer: Arc<dyn DocumentRenderer>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            repo,
            storage,
            renderer,
            clock,
            fontes: None,
        }
    }

    /// The other areas the generation context is read from: the clientes (within the
    /// caller's scope) and the settings (company, templates).
    pub fn with_fontes(
        mut self,
        clientes: Arc<dyn ClientesDaGeracao>,
        empresa: Arc<dyn EmpresaDaGeracao>,
    ) -> Self {
        self.fontes = Some((clientes, empresa));
        self
    }

    /// The context of a generation for cliente `cliente_id`, as seen by a caller whose
    /// clientes are those of `owner` (`None`: every cliente, as for superusers): a cliente
    /// outside the scope is `NotFound("Cliente")`, like a missing one.
    pub async fn contexto(&self, cliente_id: i64, owner: Option<i64>) -> Result<GeracaoContexto> {
        let (clientes, empresa) = self
            .fontes
            .as_ref()
            .ok_or_else(|| DomainError::internal("generation context sources not wired"))?;
        let cliente = clientes
            .cliente(cliente_id, owner)
            .await?
            .ok_or(DomainError::NotFound("Cliente"))?;
        Ok(GeracaoContexto {
            cliente,
            empresa: empresa.empresa().await?,
            templates: empresa.templates().await?,
        })
    }

    /// `POST /documentos/gerar-contrato/` by user `usuario_id`, whose clientes are those of
    /// `owner` (see [`GeracaoService::contexto`]).
    pub async fn contrato(
        &self,
        req: &GerarRequest,
        usuario_id: i64,
        owner: Option<i64>,
    ) -> Result<Documento> {
        let ctx = self.contexto(req.cliente_id, owner).await?;
        self.gerar_contrato(&ctx, req, usuario_id).await
    }

    /// `POST /documentos/gerar-boleto/` (as [`GeracaoService::contrato`]).
    pub async fn boleto(
        &self,
        req: &GerarRequest,
        usuario_id: i64,
        owner: Option<i64>,
    ) -> Result<Documento> {
        let ctx = self.contexto(req.cliente_id, owner).await?;
        self.gerar_boleto(&ctx, req, usuario_id).await
    }

    /// A contract from a loaded context (see [`GeracaoService::contrato`]); an inactive
    /// cliente is refused with the 404 of a missing one. Returns the stored Documento
    /// (`arquivo` relative path).
    pub async fn gerar_contrato(
        &self,
        ctx: &GeracaoContexto,
        req: &GerarRequest,
        usuario_id: i64,
    ) -> Result<Documento> {
        checar_cliente(ctx)?;
        let template = resolver_template(&ctx.templates, &req.template_nome)?;
        let agora = self.clock.now();
        let dados = montar_dados(ctx, &req.dados, agora);
        let texto = preencher(&template.conteudo, &dados);
        let titulo = format!("{} - {}", template.nome, ctx.cliente.razao_social);
        let (empresa_nome, empresa_cnpj, empresa_endereco) = empresa(ctx);
        let pdf = ContratoPdf {
            empresa_nome: empresa_nome.clone(),
            empresa_cnpj: empresa_cnpj.clone(),
            empresa_endereco,
            titulo: titulo.clone(),
            paragrafos: paragrafos(&texto),
            assinaturas: vec![
                Parte {
                    papel: "CONTRATADA".into(),
                    nome: empresa_nome,
                    documento: empresa_cnpj,
                },
                Parte {
                    papel: "CONTRATANTE".into(),
                    nome: ctx.cliente.razao_social.clone(),
                    documento: ctx.cliente.cnpj.clone(),
                },
            ],
            rodape: format!("Gerado em {}", agora.format("%d/%m/%Y %H:%M")),
        };
        let bytes = self.renderer.render_contrato(&pdf).await?;
        let vencimento = data_vencimento_extra(&req.dados);
        self.salvar(
            ctx,
            "contrato",
            TipoDocumento::Contrato,
            &template,
            titulo,
            dados,
            vencimento,
            &bytes,
            usuario_id,
        )
        .await
    }

    /// `POST /documentos/gerar-boleto/`. Same preconditions as [`Self::gerar_contrato`];
    /// `dados_boleto` is validated (400 field errors) after the template is resolved.
    pub async fn gerar_boleto(
        &self,
        ctx: &GeracaoContexto,
        req: &GerarRequest,
        usuario_id: i64,
    ) -> Result<Documento> {
        checar_cliente(ctx)?;
        let template = resolver_template(&ctx.templates, &req.template_nome)?;
        let boleto = DadosBoleto::parse(&req.dados).map_err(DomainError::Validation)?;
        let calc = boleto.calcular()?;
        let agora = self.clock.now();
        let (empresa_nome, empresa_cnpj, empresa_endereco) = empresa(ctx);
        let pix = boleto.pix_chave.as_ref().map(|chave| {
            PixEstatico {
                chave: chave.clone(),
                descricao: None,
                valor_centavos: Some(boleto.valor_centavos),
                nome_recebedor: empresa_nome.clone(),
                cidade: ctx
                    .empresa
                    .as_ref()
                    .and_then(|e| e.cidade.clone())
                    .unwrap_or_else(|| "SAO PAULO".into()),
                txid: Some(calc.nosso_numero.clone()),
            }
            .payload()
        });
        let mut dados = montar_dados(ctx, &req.dados, agora);
        dados.insert(
            "codigo_barras".into(),
            Value::String(calc.codigo_barras.clone()),
        );
        dados.insert(
            "linha_digitavel".into(),
            Value::String(calc.linha_digitavel.clone()),
        );
        dados.insert(
            "pix_copia_e_cola".into(),
            pix.clone().map_or(Value::Null, Value::String),
        );
        let texto = preencher(&template.conteudo, &dados);
        let titulo = format!("{} - {}", template.nome, ctx.cliente.razao_social);
        let pdf = BoletoPdf {
            banco_codigo: calc.banco.clone(),
            banco_codigo_dv: calc.banco_codigo_dv.clone(),
            banco_nome: calc.banco_nome.to_string(),
            linha_digitavel: calc.linha_digitavel.clone(),
            codigo_barras: calc.codigo_barras.clone(),
            beneficiario_nome: empresa_nome,
            beneficiario_documento: empresa_cnpj,
            beneficiario_endereco: empresa_endereco,
            pagador_nome: ctx.cliente.razao_social.clone(),
            pagador_documento: ctx.cliente.cnpj.clone(),
            pagador_endereco: ctx.cliente.endereco_completo.clone(),
            vencimento: boleto.data_vencimento.format("%d/%m/%Y").to_string(),
            valor: formatar_reais(boleto.valor_centavos),
            valor_centavos: boleto.valor_centavos,
            nosso_numero: calc.nosso_numero.clone(),
            agencia_codigo: calc.agencia_codigo.clone(),
            numero_documento: boleto.bancarios.nosso_numero.clone().unwrap_or_default(),
            data_documento: agora.format("%d/%m/%Y").to_string(),
            instrucoes: paragrafos(&texto),
            pix_payload: pix,
        };
        let bytes = self.renderer.render_boleto(&pdf).await?;
        self.salvar(
            ctx,
            "boleto",
            TipoDocumento::Boleto,
            &template,
            titulo,
            dados,
            Some(boleto.data_vencimento),
            &bytes,
            usuario_id,
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn salvar(
        &self,
        ctx: &GeracaoContexto,
        prefixo: &str,
        tipo: TipoDocumento,
        template: &Template,
        nome: String,
        dados: Map<String, Value>,
        data_vencimento: Option<NaiveDate>,
        bytes: &[u8],
        usuario_id: i64,
    ) -> Result<Documento> {
        let sufixo = uuid::Uuid::new_v4().simple().to_string();
        let arquivo = format!("{prefixo}_{}_{}.pdf", ctx.cliente.id, &sufixo[..8]);
        let caminho = self.storage.save(STORAGE_DIR, &arquivo, bytes).await?;
        let novo = NewDocumento {
            cliente_id: ctx.cliente.id,
            nome,
            tipo_documento: tipo,
            status: StatusDocumento::Gerado,
            origem: OrigemDocumento::Gerado,
            arquivo: caminho.clone(),
            descricao: None,
            template_usado: Some(template.nome.clone()),
            dados_preenchidos: dados,
            data_vencimento,
            data_upload: self.clock.now(),
            usuario_upload_id: Some(usuario_id),
            ativo: true,
        };
        match self.repo.insert(novo).await {
            Ok(d) => Ok(d),
            Err(e) => {
                let _ = self.storage.delete(&caminho).await;
                Err(e)
            }
        }
    }
}

fn checar_cliente(ctx: &GeracaoContexto) -> Result<()> {
    if ctx.cliente.status == "ativo" {
        Ok(())
    } else {
        Err(DomainError::NotFound("Cliente"))
    }
}

fn empresa(ctx: &GeracaoContexto) -> (String, String, String) {
    match &ctx.empresa {
        Some(e) => (e.razao_social.clone(), e.cnpj.clone(), e.endereco.clone()),
        None => ("Empresa".into(), String::new(), String::new()),
    }
}

/// `data_vencimento` of the extra object when it is a `YYYY-MM-DD` string.
fn data_vencimento_extra(extra: &Map<String, Value>) -> Option<NaiveDate> {
    let s = extra.get("data_vencimento")?.as_str()?;
    if s.len() != 10 {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

#[cfg(test)]
#[path = "geracao_tests.rs"]
mod tests;
