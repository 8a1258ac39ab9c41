//! PIX BR Code (EMV® QRCPS merchant-presented mode, static) — the "copia e cola" payload.

/// Fields of a static PIX charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PixEstatico {
    pub chave: String,
    pub descricao: Option<String>,
    /// Amount in cents (`None` = payer chooses).
    pub valor_centavos: Option<u64>,
    pub nome_recebedor: String,
    pub cidade: String,
    /// Transaction id (`***` when none).
    pub txid: Option<String>,
}

fn campo(id: &str, valor: &str) -> String {
    format!("{id}{:02}{valor}", valor.len())
}

/// Folds Latin letters with diacritics to ASCII and drops anything else outside printable ASCII.
pub fn ascii_fold(s: &str) -> String {
    s.chars()
        .filter_map(|c| {
            let folded = match c {
                'á' | 'à' | 'â' | 'ã' | 'ä' | 'å' => 'a',
                'Á' | 'À' | 'Â' | 'Ã' | 'Ä' | 'Å' => 'A',
                'é' | 'è' | 'ê' | 'ë' => 'e',
                'É' | 'È' | 'Ê' | 'Ë' => 'E',
                'í' | 'ì' | 'î' | 'ï' => 'i',
                'Í' | 'Ì' | 'Î' | 'Ï' => 'I',
                'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
                'Ó' | 'Ò' | 'Ô' | 'Õ' | 'Ö' => 'O',
                'ú' | 'ù' | 'û' | 'ü' => 'u',
                'Ú' | 'Ù' | 'Û' | 'Ü' => 'U',
                'ç' => 'c',
                'Ç' => 'C',
                'ñ' => 'n',
                'Ñ' => 'N',
                c if c.is_ascii() && !c.is_ascii_control() => c,
                _ => return None,
            };
            Some(folded)
        })
        .collect()
}

fn truncar(s: &str, max: usize) -> String {
    ascii_fold(s)
        .trim()
        .chars()
        .take(max)
        .collect::<String>()
        .trim_end()
        .to_string()
}

/// CRC16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor).
pub fn crc16_ccitt(data: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &byte in data {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

impl PixEstatico {
    /// The full payload including the CRC (field 63).
    pub fn payload(&self) -> String {
        let mut conta = campo("00", "br.gov.bcb.pix") + &campo("01", &self.chave);
        if let Some(d) = self
            .descricao
            .as_deref()
            .map(ascii_fold)
            .filter(|d| !d.trim().is_empty())
        {
            // Keep the whole merchant account template within 99 characters.
            let max = 99usize.saturating_sub(conta.len() + 4);
            let d: String = d.trim().chars().take(max).collect();
            if !d.is_empty() {
                conta += &campo("02", &d);
            }
        }
        let mut p = campo("00", "01");
        p += &campo("26", &conta);
        p += &campo("52", "0000");
        p += &campo("53", "986");
        if let Some(v) = self.valor_centavos {
            p += &campo("54", &crate::boleto::valor::formatar_decimal(v));
        }
        p += &campo("58", "BR");
        p += &campo("59", &truncar(&self.nome_recebedor, 25));
        p += &campo("60", &truncar(&self.cidade, 15));
        let txid = self
            .txid
            .as_deref()
            .map(|t| {
                t.chars()
                    .filter(char::is_ascii_alphanumeric)
                    .take(25)
                    .collect::<String>()
            })
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| "***".to_string());
        p += &campo("62", &campo("05", &txid));
        p += "6304";
        let crc = crc16_ccitt(p.as_bytes());
        format!("{p}{crc:04X}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BCB_EXEMPLO: &str = "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D";

    #[test]
    fn reproduces_the_central_bank_example() {
        let pix = PixEstatico {
            chave: "123e4567-e12b-12d1-a456-426655440000".into(),
            descricao: None,
            valor_centavos: None,
            nome_recebedor: "Fulano de Tal".into(),
            cidade: "BRASILIA".into(),
            txid: None,
        };
        assert_eq!(pix.payload(), BCB_EXEMPLO);
    }

    #[test]
    fn crc_check_value() {
        // CRC-16/CCITT-FALSE check value for "123456789".
        assert_eq!(crc16_ccitt(b"123456789"), 0x29B1);
    }

    #[test]
    fn amount_description_folding_and_limits() {
        let pix = PixEstatico {
            chave: "+5511999999999".into(),
            descricao: Some("Fatura nº 12".into()),
            valor_centavos: Some(15050),
            nome_recebedor: "Comércio de Peças São João Ltda ME".into(),
            cidade: "São José dos Campos".into(),
            txid: Some("BOLETO-0001".into()),
        };
        let p = pix.payload();
        assert!(p.contains("5406150.50"));
        assert!(p.contains("5925Comercio de Pecas Sao Joa"));
        assert!(p.contains("6015Sao Jose dos Ca"));
        assert!(p.contains("0211Fatura n 12"));
        assert!(p.contains("62140510BOLETO0001"));
        let (body, crc) = p.split_at(p.len() - 4);
        assert_eq!(format!("{:04X}", crc16_ccitt(body.as_bytes())), crc);
        assert!(p.is_ascii());
    }
}
