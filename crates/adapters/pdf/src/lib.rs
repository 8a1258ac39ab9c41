//! PDF rendering of generated documents with printpdf: builtin Helvetica fonts (WinAnsi
//! encoding, so Portuguese accents render), A4 pages, contracts with header, wrapped text,
//! signatures and "Página X de Y"; boletos with an Interleaved 2 of 5 barcode and a PIX QR code.

mod boleto;
mod canvas;
mod contrato;
pub mod i2of5;
pub mod texto;

use documentos::{BoletoPdf, ContratoPdf, DocumentRenderer};
use kernel::Result;

/// [`DocumentRenderer`] backed by printpdf.
#[derive(Debug, Clone, Copy, Default)]
pub struct PrintPdfRenderer;

impl DocumentRenderer for PrintPdfRenderer {
    fn render_contrato(&self, contrato: &ContratoPdf) -> Result<Vec<u8>> {
        contrato::render(contrato)
    }

    fn render_boleto(&self, boleto: &BoletoPdf) -> Result<Vec<u8>> {
        boleto::render(boleto)
    }
}

#[cfg(test)]
mod tests;
