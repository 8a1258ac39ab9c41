//! Text measuring and wrapping for the builtin Helvetica fonts (WinAnsi encoded).

/// Helvetica advance widths (1/1000 em) for ASCII 32..=126.
const LARGURAS: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

const EXTRAS_WINANSI: &str = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ";

/// Replaces characters the WinAnsi builtin fonts cannot show by `?` (accents are kept).
pub fn winansi(s: &str) -> String {
    s.chars()
        .map(|c| {
            let cp = c as u32;
            if (0x20..0x7F).contains(&cp)
                || (0xA0..=0xFF).contains(&cp)
                || EXTRAS_WINANSI.contains(c)
            {
                c
            } else if c == '\t' {
                ' '
            } else {
                '?'
            }
        })
        .collect()
}

fn largura_char(c: char) -> u16 {
    let base = documentos::pix::ascii_fold(&c.to_string())
        .chars()
        .next()
        .unwrap_or(c);
    match base as u32 {
        cp @ 32..=126 => LARGURAS[(cp - 32) as usize],
        _ => 556,
    }
}

/// Width in millimetres of `s` at `tamanho` points (bold ≈ 6 % wider).
pub fn largura_mm(s: &str, tamanho: f32, negrito: bool) -> f32 {
    let unidades: u32 = s.chars().map(|c| u32::from(largura_char(c))).sum();
    let fator = if negrito { 1.06 } else { 1.0 };
    unidades as f32 / 1000.0 * tamanho * 0.352_778 * fator
}

/// Greedy word wrap to `max_mm`; words longer than a line are split by characters.
pub fn quebrar(texto: &str, tamanho: f32, negrito: bool, max_mm: f32) -> Vec<String> {
    let mut linhas = Vec::new();
    let mut atual = String::new();
    for palavra in texto.split_whitespace() {
        let candidata = if atual.is_empty() {
            palavra.to_string()
        } else {
            format!("{atual} {palavra}")
        };
        if largura_mm(&candidata, tamanho, negrito) <= max_mm {
            atual = candidata;
            continue;
        }
        if !atual.is_empty() {
            linhas.push(std::mem::take(&mut atual));
        }
        if largura_mm(palavra, tamanho, negrito) <= max_mm {
            atual = palavra.to_string();
        } else {
            for c in palavra.chars() {
                if !atual.is_empty()
                    && largura_mm(&format!("{atual}{c}"), tamanho, negrito) > max_mm
                {
                    linhas.push(std::mem::take(&mut atual));
                }
                atual.push(c);
            }
        }
    }
    if !atual.is_empty() {
        linhas.push(atual);
    }
    linhas
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_portuguese_accents() {
        assert_eq!(winansi("Ação – nº 5 “ok” 😀\t"), "Ação – nº 5 “ok” ? ");
    }

    #[test]
    fn measures_and_wraps() {
        // "Hello" = 722+556+222+222+556 = 2278 units → 2.278 × 10pt × 0.3528 mm
        assert!((largura_mm("Hello", 10.0, false) - 8.036).abs() < 0.01);
        assert_eq!(
            largura_mm("ção", 10.0, false),
            largura_mm("cao", 10.0, false)
        );
        let linhas = quebrar(
            "um dois três quatro cinco seis sete oito",
            10.0,
            false,
            30.0,
        );
        assert!(linhas.len() > 1);
        assert!(linhas.iter().all(|l| largura_mm(l, 10.0, false) <= 30.0));
        assert_eq!(linhas.join(" "), "um dois três quatro cinco seis sete oito");
        let longa = quebrar(&"x".repeat(200), 10.0, false, 50.0);
        assert!(longa.len() > 1 && longa.concat().len() == 200);
        assert!(quebrar("   ", 10.0, false, 50.0).is_empty());
    }
}
