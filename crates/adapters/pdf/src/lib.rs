//! PDF rendering of generated documents with printpdf: builtin Helvetica fonts (WinAnsi
//! encoding, so Portuguese accents render), A4 pages, contracts with header, wrapped text,
//! signatures and "Página X de Y"; boletos with an Interleaved 2 of 5 barcode and a PIX QR code.

mod boleto;
mod canvas;
mod contrato;
pub mod i2of5;
pub mod texto;

use async_trait::async_trait;
use documentos::{BoletoPdf, ContratoPdf, DocumentRenderer};
use kernel::{DomainError, Result};

/// [`DocumentRenderer`] backed by printpdf.
#[derive(Debug, Clone, Copy, Default)]
pub struct PrintPdfRenderer;

impl PrintPdfRenderer {
    /// Renders a contract on the calling thread.
    pub fn contrato_now(&self, contrato: &ContratoPdf) -> Result<Vec<u8>> {
        contrato::render(contrato)
    }

    /// Renders a boleto on the calling thread.
    pub fn boleto_now(&self, boleto: &BoletoPdf) -> Result<Vec<u8>> {
        boleto::render(boleto)
    }
}

/// Both renderings run on the runtime's blocking threads: a few milliseconds of CPU each, which
/// on an async worker would hold up every other request that worker serves.
#[async_trait]
impl DocumentRenderer for PrintPdfRenderer {
    async fn render_contrato(&self, contrato: &ContratoPdf) -> Result<Vec<u8>> {
        off_the_workers(contrato.clone(), |c| contrato::render(&c)).await
    }

    async fn render_boleto(&self, boleto: &BoletoPdf) -> Result<Vec<u8>> {
        off_the_workers(boleto.clone(), |b| boleto::render(&b)).await
    }
}

/// `render(input)` on a blocking thread of the current tokio runtime (here when there is none).
async fn off_the_workers<T: Send + 'static>(
    input: T,
    render: fn(T) -> Result<Vec<u8>>,
) -> Result<Vec<u8>> {
    match tokio::runtime::Handle::try_current() {
        Ok(rt) => rt
            .spawn_blocking(move || render(input))
            .await
            .map_err(|e| DomainError::internal(format!("PDF rendering stopped: {e}")))?,
        Err(_) => render(input),
    }
}

#[cfg(test)]
mod tests;
