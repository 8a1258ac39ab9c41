//! Contract layout: company header on every page, title, wrapped paragraphs (clause headings
//! in bold), signature block, footer with "Página X de Y".

use crate::canvas::{ALTURA, Documento, LARGURA, Pagina};
use crate::texto::quebrar;
use documentos::ContratoPdf;
use kernel::DomainError;

const MARGEM: f32 = 20.0;
const TOPO_CONTEUDO: f32 = 36.0;
const BASE_CONTEUDO: f32 = ALTURA - 22.0;
const CORPO: f32 = 10.0;
const ALTURA_ASSINATURAS: f32 = 40.0;

enum Item {
    Linha {
        texto: String,
        negrito: bool,
        x: f32,
    },
    Espaco(f32),
    Assinaturas,
}

fn altura_linha(tamanho: f32) -> f32 {
    tamanho * 0.352_778 * 1.45
}

fn altura(item: &Item) -> f32 {
    match item {
        Item::Linha { .. } => altura_linha(CORPO),
        Item::Espaco(h) => *h,
        Item::Assinaturas => ALTURA_ASSINATURAS,
    }
}

/// A heading is a short line in capitals (e.g. `CLÁUSULA PRIMEIRA – DO OBJETO`).
fn titulo_de_secao(p: &str) -> bool {
    let letras: Vec<char> = p.chars().filter(|c| c.is_alphabetic()).collect();
    p.chars().count() <= 90 && letras.len() >= 3 && letras.iter().all(|c| c.is_uppercase())
}

fn itens(c: &ContratoPdf) -> Vec<Item> {
    let largura = LARGURA - 2.0 * MARGEM;
    let mut out = Vec::new();
    for p in &c.paragrafos {
        let negrito = titulo_de_secao(p);
        if negrito {
            out.push(Item::Espaco(2.0));
        }
        for linha in quebrar(p, CORPO, negrito, largura) {
            out.push(Item::Linha {
                texto: linha,
                negrito,
                x: MARGEM,
            });
        }
        out.push(Item::Espaco(if negrito { 0.5 } else { 2.5 }));
    }
    out.push(Item::Espaco(10.0));
    if !c.assinaturas.is_empty() {
        out.push(Item::Assinaturas);
    }
    out
}

/// Splits items into pages; page 1 starts lower because of the title.
fn paginar(itens: Vec<Item>, inicio_primeira: f32) -> Vec<Vec<(f32, Item)>> {
    let mut paginas = vec![Vec::new()];
    let mut y = inicio_primeira;
    for item in itens {
        let h = altura(&item);
        if y + h > BASE_CONTEUDO {
            if matches!(item, Item::Espaco(_)) {
                continue;
            }
            paginas.push(Vec::new());
            y = TOPO_CONTEUDO;
        }
        if let Some(p) = paginas.last_mut() {
            p.push((y, item));
        }
        y += h;
    }
    paginas
}

fn cabecalho(p: &Pagina<'_>, c: &ContratoPdf) {
    p.texto(&c.empresa_nome, MARGEM, 16.0, 12.0, true);
    let mut sub = Vec::new();
    if !c.empresa_cnpj.is_empty() {
        sub.push(format!("CNPJ {}", c.empresa_cnpj));
    }
    if !c.empresa_endereco.is_empty() {
        sub.push(c.empresa_endereco.clone());
    }
    p.texto(&sub.join("  •  "), MARGEM, 21.5, 8.5, false);
    p.linha(MARGEM, 25.0, LARGURA - MARGEM, 25.0, 0.8);
}

fn assinaturas(p: &Pagina<'_>, c: &ContratoPdf, y: f32) {
    let n = c.assinaturas.len().min(3) as f32;
    let coluna = (LARGURA - 2.0 * MARGEM) / n;
    for (i, parte) in c.assinaturas.iter().take(3).enumerate() {
        let cx = MARGEM + coluna * (i as f32 + 0.5);
        let meia = (coluna / 2.0 - 6.0).min(38.0);
        p.linha(cx - meia, y + 18.0, cx + meia, y + 18.0, 0.6);
        p.texto_centro(&parte.nome, cx, y + 23.0, 9.0, true);
        let doc = if parte.documento.is_empty() {
            String::new()
        } else {
            format!("CNPJ {}", parte.documento)
        };
        p.texto_centro(&doc, cx, y + 27.0, 8.0, false);
        p.texto_centro(&parte.papel, cx, y + 31.0, 8.0, false);
    }
}

pub fn render(c: &ContratoPdf) -> Result<Vec<u8>, DomainError> {
    let largura = LARGURA - 2.0 * MARGEM;
    let titulo = quebrar(&c.titulo, 13.0, true, largura);
    let inicio = TOPO_CONTEUDO + titulo.len() as f32 * altura_linha(13.0) + 4.0;
    let paginas = paginar(itens(c), inicio);
    let total = paginas.len();
    let doc = Documento::novo(&c.titulo, total)?;
    for (i, itens) in paginas.into_iter().enumerate() {
        let Some(p) = doc.pagina(i) else { continue };
        cabecalho(&p, c);
        if i == 0 {
            for (j, l) in titulo.iter().enumerate() {
                p.texto_centro(
                    l,
                    LARGURA / 2.0,
                    TOPO_CONTEUDO + 2.0 + j as f32 * altura_linha(13.0),
                    13.0,
                    true,
                );
            }
        }
        for (y, item) in itens {
            match item {
                Item::Linha { texto, negrito, x } => {
                    p.texto(&texto, x, y + altura_linha(CORPO) * 0.75, CORPO, negrito)
                }
                Item::Espaco(_) => {}
                Item::Assinaturas => assinaturas(&p, c, y),
            }
        }
        p.linha(MARGEM, ALTURA - 16.0, LARGURA - MARGEM, ALTURA - 16.0, 0.4);
        p.texto(&c.rodape, MARGEM, ALTURA - 11.0, 8.0, false);
        p.texto_direita(
            &format!("Página {} de {total}", i + 1),
            LARGURA - MARGEM,
            ALTURA - 11.0,
            8.0,
            false,
        );
    }
    doc.bytes()
}
