//! Interleaved 2 of 5 (ITF) encoding used by FEBRABAN boleto barcodes: narrow:wide = 1:3,
//! start `0000` (narrow bar, space, bar, space), stop `100` (wide bar, narrow space, narrow bar).

/// Narrow (`false`) / wide (`true`) elements of each digit.
const PADROES: [[bool; 5]; 10] = [
    [false, false, true, true, false],
    [true, false, false, false, true],
    [false, true, false, false, true],
    [true, true, false, false, false],
    [false, false, true, false, true],
    [true, false, true, false, false],
    [false, true, true, false, false],
    [false, false, false, true, true],
    [true, false, false, true, false],
    [false, true, false, true, false],
];

pub const LARGO: u32 = 3;

/// A dark bar: start and width in narrow-module units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Barra {
    pub inicio: u32,
    pub largura: u32,
}

/// The encoded symbol: bars and total width in narrow units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Simbolo {
    pub barras: Vec<Barra>,
    pub largura_total: u32,
}

/// Encodes an even-length digit string. `None` for odd length or non-digits.
pub fn codificar(digitos: &str) -> Option<Simbolo> {
    if digitos.is_empty()
        || !digitos.len().is_multiple_of(2)
        || !digitos.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    // Sequence of (is_bar, wide) elements.
    let mut elementos: Vec<(bool, bool)> =
        vec![(true, false), (false, false), (true, false), (false, false)];
    for par in digitos.as_bytes().chunks(2) {
        let barras = PADROES[usize::from(par[0] - b'0')];
        let espacos = PADROES[usize::from(par[1] - b'0')];
        for i in 0..5 {
            elementos.push((true, barras[i]));
            elementos.push((false, espacos[i]));
        }
    }
    elementos.extend([(true, true), (false, false), (true, false)]);
    let mut x = 0;
    let mut barras = Vec::new();
    for (barra, largo) in elementos {
        let w = if largo { LARGO } else { 1 };
        if barra {
            barras.push(Barra {
                inicio: x,
                largura: w,
            });
        }
        x += w;
    }
    Some(Simbolo {
        barras,
        largura_total: x,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(inicio: u32, largura: u32) -> Barra {
        Barra { inicio, largura }
    }

    #[test]
    fn encodes_a_pair_with_start_and_stop() {
        // "12": bars from 1 = W N N N W, spaces from 2 = N W N N W.
        let s = codificar("12").unwrap();
        assert_eq!(
            s.barras,
            vec![
                b(0, 1),
                b(2, 1),
                // pair: bar W(4..7) sp N, bar N(8) sp W, bar N(12) sp N, bar N(14) sp N, bar W(16..19) sp W
                b(4, 3),
                b(8, 1),
                b(12, 1),
                b(14, 1),
                b(16, 3),
                // stop: wide bar, narrow space, narrow bar
                b(22, 3),
                b(26, 1),
            ]
        );
        assert_eq!(s.largura_total, 27);
    }

    #[test]
    fn boleto_barcode_width_and_rejections() {
        let s = codificar("00193373700000001000500940144816060680935031").unwrap();
        // start 4 + 44 digits × 9 + stop 5
        assert_eq!(s.largura_total, 4 + 44 * 9 + 5);
        // each digit has 2 wide of 5 elements; per pair 5 bars; plus 2 start and 2 stop bars
        assert_eq!(s.barras.len(), 2 + 22 * 5 + 2);
        assert!(codificar("123").is_none());
        assert!(codificar("").is_none());
        assert!(codificar("1a").is_none());
    }
}
