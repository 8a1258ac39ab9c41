use super::*;
use documentos::Parte;
use printpdf::lopdf;

fn contrato(paragrafos: usize) -> ContratoPdf {
    let mut texto = vec![
        "CONTRATO DE PRESTAÇÃO DE SERVIÇOS".to_string(),
        "CLÁUSULA PRIMEIRA – DO OBJETO".to_string(),
    ];
    for i in 0..paragrafos {
        texto.push(format!(
            "{i}. A CONTRATADA prestará serviços de atendimento à CONTRATANTE, com ação contínua, \
             manutenção e comunicação por WhatsApp, conforme proposta aceita e condições gerais."
        ));
    }
    ContratoPdf {
        empresa_nome: "DX Serviços SA".into(),
        empresa_cnpj: "11.222.333/0001-81".into(),
        empresa_endereco: "Av. Paulista, 1000 - Bela Vista".into(),
        titulo: "contrato_padrao - ACME Comércio LTDA".into(),
        paragrafos: texto,
        assinaturas: vec![
            Parte {
                papel: "CONTRATADA".into(),
                nome: "DX Serviços SA".into(),
                documento: "11.222.333/0001-81".into(),
            },
            Parte {
                papel: "CONTRATANTE".into(),
                nome: "ACME Comércio LTDA".into(),
                documento: "12.345.678/0001-95".into(),
            },
        ],
        rodape: "Gerado em 12/10/2025 13:18".into(),
    }
}

fn boleto(pix: bool) -> BoletoPdf {
    BoletoPdf {
        banco_codigo: "001".into(),
        banco_codigo_dv: "001-9".into(),
        banco_nome: "Banco do Brasil S.A.".into(),
        linha_digitavel: "00190.50095 40144.816069 06809.350314 3 37370000000100".into(),
        codigo_barras: "00193373700000001000500940144816060680935031".into(),
        beneficiario_nome: "DX Serviços SA".into(),
        beneficiario_documento: "11.222.333/0001-81".into(),
        beneficiario_endereco: "Av. Paulista, 1000 - Bela Vista".into(),
        pagador_nome: "ACME Comércio LTDA".into(),
        pagador_documento: "12.345.678/0001-95".into(),
        pagador_endereco: "Rua A, 1 - Centro, São Paulo/SP".into(),
        vencimento: "31/12/2007".into(),
        valor: "R$ 1,00".into(),
        valor_centavos: 100,
        nosso_numero: "05009401448".into(),
        agencia_codigo: "1606 / 6809350".into(),
        numero_documento: "1448".into(),
        data_documento: "12/10/2025".into(),
        instrucoes: vec!["Não receber após 30 dias do vencimento.".into(); 3],
        pix_payload: pix.then(|| {
            "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D".to_string()
        }),
    }
}

/// Decompressed content stream of page `n` (1-based). Text is WinAnsi-encoded bytes.
fn conteudo(doc: &lopdf::Document, n: u32) -> Vec<u8> {
    let id = doc.get_pages()[&n];
    doc.get_page_content(id).expect("page content")
}

/// Whether the content stream shows `needle` (printpdf writes text as hex strings).
fn contem(hay: &[u8], needle: &[u8]) -> bool {
    let hex: String = needle.iter().map(|b| format!("{b:02X}")).collect();
    let hay = String::from_utf8_lossy(hay).to_uppercase();
    hay.contains(&hex)
}

fn paginas(pdf: &[u8]) -> lopdf::Document {
    assert!(pdf.starts_with(b"%PDF"), "not a PDF");
    lopdf::Document::load_mem(pdf).expect("parsable PDF")
}

#[test]
fn short_contract_is_one_page_with_footer() {
    let pdf = PrintPdfRenderer.contrato_now(&contrato(3)).unwrap();
    let doc = paginas(&pdf);
    assert_eq!(doc.get_pages().len(), 1);
    let c = conteudo(&doc, 1);
    // "Página 1 de 1" and "PRESTAÇÃO" in WinAnsi (á = E1, Ç = C7, Ã = C3).
    assert!(contem(&c, b"P\xE1gina 1 de 1"));
    assert!(contem(&c, b"PRESTA\xC7\xC3O DE SERVI\xC7OS"));
    let pdf_text = String::from_utf8_lossy(&pdf);
    assert!(pdf_text.contains("WinAnsiEncoding"));
}

#[test]
fn long_contract_spans_pages() {
    let pdf = PrintPdfRenderer.contrato_now(&contrato(60)).unwrap();
    let doc = paginas(&pdf);
    let n = doc.get_pages().len();
    assert!(n >= 3, "{n} pages");
    let ultima = conteudo(&doc, n as u32);
    assert!(contem(&ultima, format!("gina {n} de {n}").as_bytes()));
    assert!(contem(
        &conteudo(&doc, 1),
        format!("gina 1 de {n}").as_bytes()
    ));
}

#[test]
fn builtin_contract_template_renders() {
    let mut c = contrato(0);
    c.paragrafos =
        documentos::render::paragrafos(&documentos::template::templates_padrao()[0].conteudo);
    let pdf = PrintPdfRenderer.contrato_now(&c).unwrap();
    assert!(!paginas(&pdf).get_pages().is_empty());
}

#[test]
fn boleto_is_one_page_with_and_without_pix() {
    for pix in [false, true] {
        let pdf = PrintPdfRenderer.boleto_now(&boleto(pix)).unwrap();
        let doc = paginas(&pdf);
        assert_eq!(doc.get_pages().len(), 1);
        let c = conteudo(&doc, 1);
        assert!(contem(&c, b"001-9"));
        assert!(contem(&c, b"00190.50095 40144.816069"));
        assert!(contem(&c, b"Benefici\xE1rio"));
    }
    let sem = PrintPdfRenderer.boleto_now(&boleto(false)).unwrap();
    let com = PrintPdfRenderer.boleto_now(&boleto(true)).unwrap();
    assert!(com.len() > sem.len(), "QR code adds drawing operations");
}

#[test]
fn invalid_barcode_is_an_error() {
    let mut b = boleto(false);
    b.codigo_barras = "123".into();
    assert!(PrintPdfRenderer.boleto_now(&b).is_err());
}

/// The shipped contract template and a PIX boleto render to well-formed PDFs whose pages show
/// their text; with `DX_PDF_OUT` naming a directory, the samples are also written there for
/// eyeballing.
#[test]
fn samples_render_and_are_written_when_asked() {
    let mut c = contrato(0);
    c.paragrafos =
        documentos::render::paragrafos(&documentos::template::templates_padrao()[0].conteudo);
    assert!(!c.paragrafos.is_empty());
    let contrato_pdf = PrintPdfRenderer.contrato_now(&c).expect("contrato");
    let doc = paginas(&contrato_pdf);
    let n = doc.get_pages().len() as u32;
    assert!(n >= 1);
    let primeira = conteudo(&doc, 1);
    assert!(contem(
        &primeira,
        b"contrato_padrao - ACME Com\xE9rcio LTDA"
    ));
    assert!(contem(
        &conteudo(&doc, n),
        format!("gina {n} de {n}").as_bytes()
    ));
    let boleto_pdf = PrintPdfRenderer.boleto_now(&boleto(true)).expect("boleto");
    let doc = paginas(&boleto_pdf);
    assert_eq!(doc.get_pages().len(), 1);
    let b = conteudo(&doc, 1);
    assert!(contem(&b, b"00190.50095 40144.816069"));
    assert!(contem(&b, b"R$ 1,00"));
    if let Ok(dir) = std::env::var("DX_PDF_OUT") {
        std::fs::write(format!("{dir}/contrato.pdf"), &contrato_pdf).expect("write contrato");
        std::fs::write(format!("{dir}/boleto.pdf"), &boleto_pdf).expect("write boleto");
    }
}

#[tokio::test]
async fn the_renderer_port_renders_both_documents() {
    let renderer: &dyn DocumentRenderer = &PrintPdfRenderer;
    let pdf = renderer.render_boleto(&boleto(true)).await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let pdf = renderer.render_contrato(&contrato(3)).await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let mut b = boleto(false);
    b.codigo_barras = "123".into();
    assert!(renderer.render_boleto(&b).await.is_err());
}
