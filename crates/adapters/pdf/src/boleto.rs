//! Boleto layout (one A4 page): recibo do pagador with instructions and the PIX QR code, a cut
//! line, and the ficha de compensação with the Interleaved 2 of 5 barcode.

use crate::canvas::{Documento, LARGURA, Pagina};
use crate::i2of5;
use crate::texto::{largura_mm, quebrar};
use documentos::BoletoPdf;
use kernel::DomainError;
use qrcode::{EcLevel, QrCode};

const M: f32 = 12.0;
const W: f32 = LARGURA - 2.0 * M;
/// Narrow bar width (mm): 405 modules ≈ 103 mm for 44 digits.
const MODULO: f32 = 0.254;

/// Bank header row: name, `001-9` code box, linha digitável.
fn cabecalho_banco(p: &Pagina<'_>, b: &BoletoPdf, y: f32, linha: bool) {
    // Shrink long bank names to fit their column.
    let mut tamanho = 10.5;
    while largura_mm(&b.banco_nome, tamanho, true) > 46.0 && tamanho > 6.0 {
        tamanho -= 0.5;
    }
    p.texto(&b.banco_nome, M, y + 6.0, tamanho, true);
    p.linha(M + 48.0, y, M + 48.0, y + 8.0, 0.8);
    p.texto_centro(&b.banco_codigo_dv, M + 57.0, y + 6.5, 13.0, true);
    p.linha(M + 66.0, y, M + 66.0, y + 8.0, 0.8);
    if linha {
        p.texto_direita(&b.linha_digitavel, M + W, y + 6.0, 10.0, true);
    } else {
        p.texto_direita("Recibo do Pagador", M + W, y + 6.0, 10.0, true);
    }
    p.linha(M, y + 8.0, M + W, y + 8.0, 0.8);
}

/// A labelled grid cell.
fn campo(p: &Pagina<'_>, rotulo: &str, valor: &str, x: f32, y: f32, w: f32, negrito: bool) {
    p.caixa(x, y, w, 9.0);
    p.texto(rotulo, x + 1.2, y + 3.0, 6.0, false);
    let linhas = quebrar(valor, 8.5, negrito, w - 2.4);
    p.texto(
        linhas.first().map_or("", String::as_str),
        x + 1.2,
        y + 7.4,
        8.5,
        negrito,
    );
}

fn qr(p: &Pagina<'_>, payload: &str, x: f32, y: f32, lado: f32) -> Result<(), DomainError> {
    let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)
        .map_err(crate::canvas::erro)?;
    let n = code.width();
    let quiet = 2;
    let modulo = lado / (n + 2 * quiet) as f32;
    let cores = code.to_colors();
    for row in 0..n {
        // Merge horizontal runs of dark modules into one rectangle.
        let mut col = 0;
        while col < n {
            if cores[row * n + col] == qrcode::Color::Dark {
                let inicio = col;
                while col < n && cores[row * n + col] == qrcode::Color::Dark {
                    col += 1;
                }
                p.retangulo(
                    x + (inicio + quiet) as f32 * modulo,
                    y + (row + quiet) as f32 * modulo,
                    (col - inicio) as f32 * modulo,
                    modulo,
                );
            } else {
                col += 1;
            }
        }
    }
    Ok(())
}

fn recibo(p: &Pagina<'_>, b: &BoletoPdf) -> Result<(), DomainError> {
    let y = 12.0;
    cabecalho_banco(p, b, y, false);
    let y = y + 10.0;
    campo(
        p,
        "Beneficiário",
        &b.beneficiario_nome,
        M,
        y,
        W * 0.5,
        false,
    );
    campo(
        p,
        "CPF/CNPJ do Beneficiário",
        &b.beneficiario_documento,
        M + W * 0.5,
        y,
        W * 0.25,
        false,
    );
    campo(
        p,
        "Vencimento",
        &b.vencimento,
        M + W * 0.75,
        y,
        W * 0.25,
        true,
    );
    let y = y + 9.0;
    campo(
        p,
        "Pagador",
        &format!("{} - {}", b.pagador_nome, b.pagador_documento),
        M,
        y,
        W * 0.5,
        false,
    );
    campo(
        p,
        "Agência / Código do Beneficiário",
        &b.agencia_codigo,
        M + W * 0.5,
        y,
        W * 0.25,
        false,
    );
    campo(
        p,
        "Valor do Documento",
        &b.valor,
        M + W * 0.75,
        y,
        W * 0.25,
        true,
    );
    let y = y + 9.0;
    campo(p, "Nosso Número", &b.nosso_numero, M, y, W * 0.5, false);
    campo(
        p,
        "Nº do Documento",
        &b.numero_documento,
        M + W * 0.5,
        y,
        W * 0.25,
        false,
    );
    campo(
        p,
        "Data do Documento",
        &b.data_documento,
        M + W * 0.75,
        y,
        W * 0.25,
        false,
    );
    let y = y + 13.0;
    let lado_qr = 42.0;
    let largura_texto = if b.pix_payload.is_some() {
        W - lado_qr - 6.0
    } else {
        W
    };
    p.texto("Instruções", M, y, 8.0, true);
    let mut yl = y + 4.5;
    'fora: for paragrafo in &b.instrucoes {
        for l in quebrar(paragrafo, 8.0, false, largura_texto) {
            if yl > y + 62.0 {
                break 'fora;
            }
            p.texto(&l, M, yl, 8.0, false);
            yl += 3.8;
        }
    }
    if let Some(pix) = &b.pix_payload {
        let x = M + W - lado_qr;
        p.texto_centro("Pague com PIX", x + lado_qr / 2.0, y, 8.0, true);
        qr(p, pix, x, y + 1.5, lado_qr)?;
    }
    Ok(())
}

fn ficha(p: &Pagina<'_>, b: &BoletoPdf, y: f32) -> Result<(), DomainError> {
    cabecalho_banco(p, b, y, true);
    let y = y + 10.0;
    let esq = W * 0.72;
    let dir = W - esq;
    campo(
        p,
        "Local de Pagamento",
        "Pagável em qualquer banco até o vencimento",
        M,
        y,
        esq,
        false,
    );
    campo(p, "Vencimento", &b.vencimento, M + esq, y, dir, true);
    let y = y + 9.0;
    let beneficiario = format!(
        "{} - CNPJ {}",
        b.beneficiario_nome, b.beneficiario_documento
    );
    campo(p, "Beneficiário", &beneficiario, M, y, esq, false);
    campo(
        p,
        "Agência / Código do Beneficiário",
        &b.agencia_codigo,
        M + esq,
        y,
        dir,
        false,
    );
    let y = y + 9.0;
    campo(
        p,
        "Data do Documento",
        &b.data_documento,
        M,
        y,
        esq * 0.3,
        false,
    );
    campo(
        p,
        "Nº do Documento",
        &b.numero_documento,
        M + esq * 0.3,
        y,
        esq * 0.3,
        false,
    );
    campo(p, "Espécie Doc.", "DM", M + esq * 0.6, y, esq * 0.15, false);
    campo(p, "Aceite", "N", M + esq * 0.75, y, esq * 0.25, false);
    campo(p, "Nosso Número", &b.nosso_numero, M + esq, y, dir, false);
    let y = y + 9.0;
    campo(p, "Espécie", "R$", M, y, esq * 0.3, false);
    campo(
        p,
        "Carteira / Banco",
        &b.banco_codigo,
        M + esq * 0.3,
        y,
        esq * 0.7,
        false,
    );
    campo(p, "(=) Valor do Documento", &b.valor, M + esq, y, dir, true);
    let y = y + 9.0;
    p.caixa(M, y, W, 16.0);
    p.texto("Pagador", M + 1.2, y + 3.0, 6.0, false);
    p.texto(
        &format!("{} - CNPJ {}", b.pagador_nome, b.pagador_documento),
        M + 1.2,
        y + 7.5,
        8.5,
        true,
    );
    p.texto(&b.pagador_endereco, M + 1.2, y + 11.5, 8.0, false);
    let y = y + 19.0;
    let simbolo = i2of5::codificar(&b.codigo_barras)
        .ok_or_else(|| DomainError::internal("código de barras inválido para I2of5"))?;
    for barra in &simbolo.barras {
        p.retangulo(
            M + barra.inicio as f32 * MODULO,
            y,
            barra.largura as f32 * MODULO,
            13.0,
        );
    }
    p.texto_direita(
        "Autenticação Mecânica - Ficha de Compensação",
        M + W,
        y + 17.0,
        7.0,
        false,
    );
    Ok(())
}

pub fn render(b: &BoletoPdf) -> Result<Vec<u8>, DomainError> {
    let doc = Documento::novo(&format!("Boleto {}", b.linha_digitavel), 1)?;
    let p = doc
        .pagina(0)
        .ok_or_else(|| DomainError::internal("pdf sem página"))?;
    recibo(&p, b)?;
    let corte = 132.0;
    p.texto_direita("Corte na linha pontilhada", M + W, corte - 1.5, 6.5, false);
    p.linha_tracejada(M, corte, M + W, corte);
    ficha(&p, b, corte + 6.0)?;
    drop(p);
    doc.bytes()
}
