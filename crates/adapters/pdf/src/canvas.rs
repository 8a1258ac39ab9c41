//! Thin drawing helper over printpdf: millimetre coordinates from the top-left corner.

use crate::texto::{largura_mm, winansi};
use kernel::DomainError;
use printpdf::{
    BuiltinFont, Color, Greyscale, IndirectFontRef, Line, LineDashPattern, Mm, PdfDocument,
    PdfDocumentReference, PdfLayerReference, Point, Rect,
};

pub const LARGURA: f32 = 210.0;
pub const ALTURA: f32 = 297.0;

pub fn erro(e: impl std::fmt::Display) -> DomainError {
    DomainError::internal(format!("pdf: {e}"))
}

pub struct Documento {
    pub doc: PdfDocumentReference,
    pub regular: IndirectFontRef,
    pub negrito: IndirectFontRef,
    paginas: Vec<PdfLayerReference>,
}

/// One page's layer with the document fonts.
pub struct Pagina<'a> {
    layer: PdfLayerReference,
    regular: &'a IndirectFontRef,
    negrito: &'a IndirectFontRef,
}

impl Documento {
    /// A new A4 document with `paginas` pages.
    pub fn novo(titulo: &str, paginas: usize) -> Result<Self, DomainError> {
        let (doc, p1, l1) = PdfDocument::new(winansi(titulo), Mm(LARGURA), Mm(ALTURA), "conteudo");
        let regular = doc.add_builtin_font(BuiltinFont::Helvetica).map_err(erro)?;
        let negrito = doc
            .add_builtin_font(BuiltinFont::HelveticaBold)
            .map_err(erro)?;
        let mut camadas = vec![doc.get_page(p1).get_layer(l1)];
        for _ in 1..paginas.max(1) {
            let (p, l) = doc.add_page(Mm(LARGURA), Mm(ALTURA), "conteudo");
            camadas.push(doc.get_page(p).get_layer(l));
        }
        Ok(Self {
            doc,
            regular,
            negrito,
            paginas: camadas,
        })
    }

    pub fn pagina(&self, i: usize) -> Option<Pagina<'_>> {
        self.paginas.get(i).map(|layer| Pagina {
            layer: layer.clone(),
            regular: &self.regular,
            negrito: &self.negrito,
        })
    }

    pub fn bytes(self) -> Result<Vec<u8>, DomainError> {
        self.doc.save_to_bytes().map_err(erro)
    }
}

impl Pagina<'_> {
    /// Text with its baseline at `y` mm from the top.
    pub fn texto(&self, s: &str, x: f32, y: f32, tamanho: f32, negrito: bool) {
        let fonte = if negrito { self.negrito } else { self.regular };
        self.layer
            .use_text(winansi(s), tamanho, Mm(x), Mm(ALTURA - y), fonte);
    }

    pub fn texto_centro(&self, s: &str, cx: f32, y: f32, tamanho: f32, negrito: bool) {
        let w = largura_mm(&winansi(s), tamanho, negrito);
        self.texto(s, cx - w / 2.0, y, tamanho, negrito);
    }

    pub fn texto_direita(&self, s: &str, x_dir: f32, y: f32, tamanho: f32, negrito: bool) {
        let w = largura_mm(&winansi(s), tamanho, negrito);
        self.texto(s, x_dir - w, y, tamanho, negrito);
    }

    /// Filled black rectangle; `(x, y)` is its top-left corner.
    pub fn retangulo(&self, x: f32, y: f32, w: f32, h: f32) {
        self.layer
            .set_fill_color(Color::Greyscale(Greyscale::new(0.0, None)));
        self.layer.add_rect(Rect::new(
            Mm(x),
            Mm(ALTURA - y - h),
            Mm(x + w),
            Mm(ALTURA - y),
        ));
    }

    pub fn linha(&self, x1: f32, y1: f32, x2: f32, y2: f32, espessura: f32) {
        self.linha_estilo(x1, y1, x2, y2, espessura, false);
    }

    pub fn linha_tracejada(&self, x1: f32, y1: f32, x2: f32, y2: f32) {
        self.linha_estilo(x1, y1, x2, y2, 0.5, true);
    }

    fn linha_estilo(&self, x1: f32, y1: f32, x2: f32, y2: f32, espessura: f32, tracejada: bool) {
        self.layer
            .set_outline_color(Color::Greyscale(Greyscale::new(0.0, None)));
        self.layer.set_outline_thickness(espessura);
        let dash = if tracejada {
            LineDashPattern {
                dash_1: Some(3),
                gap_1: Some(2),
                ..Default::default()
            }
        } else {
            LineDashPattern::default()
        };
        self.layer.set_line_dash_pattern(dash);
        self.layer.add_line(Line {
            points: vec![
                (Point::new(Mm(x1), Mm(ALTURA - y1)), false),
                (Point::new(Mm(x2), Mm(ALTURA - y2)), false),
            ],
            is_closed: false,
        });
        if tracejada {
            self.layer.set_line_dash_pattern(LineDashPattern::default());
        }
    }

    /// Rectangle outline (cells of the boleto grid).
    pub fn caixa(&self, x: f32, y: f32, w: f32, h: f32) {
        self.linha(x, y, x + w, y, 0.5);
        self.linha(x, y + h, x + w, y + h, 0.5);
        self.linha(x, y, x, y + h, 0.5);
        self.linha(x + w, y, x + w, y + h, 0.5);
    }
}
