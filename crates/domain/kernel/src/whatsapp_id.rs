//! One identity per customer: the forms a WhatsApp peer arrives in, reduced to one.
//!
//! - [`CanonicalNumber`]: a phone number as E.164 digits (no `+`), with the ninth digit for
//!   Brazilian mobiles. `+55 (11) 98765-4321`, `5511987654321` and the pre-2016 form
//!   `551187654321` are one number, `5511987654321`. Landlines and foreign numbers keep
//!   their digits. Numbers must carry their country code (gateways always give it).
//! - [`WaPeer`]: what a gateway names a peer by: a number (bare, or as a
//!   `…@s.whatsapp.net` / `…@c.us` JID, with or without a `:device` suffix), an `…@lid`
//!   linked-device id (Evolution, when WhatsApp hides the number), a business-scoped user id
//!   (Meta's BSUID, `BR.1502576394655843`), or a group / broadcast JID, which is never a chat.

use std::fmt;

/// Brazilian area codes (DDD) in use.
const DDDS: [u8; 67] = [
    11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 24, 27, 28, 31, 32, 33, 34, 35, 37, 38, 41, 42, 43,
    44, 45, 46, 47, 48, 49, 51, 53, 54, 55, 61, 62, 63, 64, 65, 66, 67, 68, 69, 71, 73, 74, 75, 77,
    79, 81, 82, 83, 84, 85, 86, 87, 88, 89, 91, 92, 93, 94, 95, 96, 97, 98, 99,
];

/// Shortest and longest E.164 numbers, country code included.
const MIN_DIGITS: usize = 7;
const MAX_DIGITS: usize = 15;

/// Why a text is not a phone number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidNumber {
    #[error("caracteres inválidos")]
    Characters,
    #[error("quantidade de dígitos inválida")]
    Length,
}

/// A phone number in canonical form: E.164 digits, the ninth digit on Brazilian mobiles.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CanonicalNumber(String);

fn is_ddd(d: &str) -> bool {
    d.parse::<u8>().is_ok_and(|n| DDDS.contains(&n))
}

impl CanonicalNumber {
    /// Parses a number written with its country code: digits with optional spaces, `(`, `)`,
    /// `-`, `.` and a leading `+` (or `00`).
    pub fn parse(raw: &str) -> Result<Self, InvalidNumber> {
        let s = raw.trim();
        let s = s.strip_prefix('+').unwrap_or(s);
        let mut digits = String::with_capacity(s.len());
        for c in s.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '(' | ')' | '-' | '.' | '\u{a0}' => {}
                _ => return Err(InvalidNumber::Characters),
            }
        }
        // `00` is the international prefix dialled from most countries.
        let digits = match digits.strip_prefix("00") {
            Some(rest) if !rest.starts_with('0') => rest.to_string(),
            _ => digits,
        };
        if !(MIN_DIGITS..=MAX_DIGITS).contains(&digits.len()) || digits.starts_with('0') {
            return Err(InvalidNumber::Length);
        }
        Ok(Self(with_ninth_digit(digits)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// The forms this number may have been saved in by hand, canonical first: with or
    /// without `+`, and for a Brazilian number also without the country code, and for a
    /// Brazilian mobile also without the ninth digit (`5511987654321`, `+5511987654321`,
    /// `11987654321`, `551187654321`, `1187654321`…). No duplicates.
    pub fn spellings(&self) -> Vec<String> {
        let canon = self.0.as_str();
        let mut forms = vec![canon.to_string()];
        if canon.starts_with("55") && canon.len() >= 12 {
            forms.push(canon[2..].to_string());
            if self.is_brazilian_mobile() {
                let old = format!("{}{}", &canon[..4], &canon[5..]);
                forms.push(old[2..].to_string());
                forms.push(old);
            }
        }
        let mut all = Vec::with_capacity(forms.len() * 2);
        for f in forms {
            let plus = format!("+{f}");
            for v in [f, plus] {
                if !all.contains(&v) {
                    all.push(v);
                }
            }
        }
        all
    }

    /// `55` + area code + `9` + eight digits.
    pub fn is_brazilian_mobile(&self) -> bool {
        let d = &self.0;
        d.len() == 13 && d.starts_with("55") && is_ddd(&d[2..4]) && d.as_bytes()[4] == b'9'
    }
}

/// A Brazilian mobile written without its ninth digit (`55` + DDD + eight digits starting
/// with 6-9, the mobile ranges before 2016) gets it back; anything else is kept.
fn with_ninth_digit(digits: String) -> String {
    if digits.len() == 12
        && digits.starts_with("55")
        && is_ddd(&digits[2..4])
        && matches!(digits.as_bytes()[4], b'6'..=b'9')
    {
        format!("{}9{}", &digits[..4], &digits[4..])
    } else {
        digits
    }
}

impl fmt::Display for CanonicalNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A peer as a gateway names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaPeer {
    Number(CanonicalNumber),
    /// The digits of an `…@lid` id.
    Lid(String),
    /// A Meta business-scoped user id, e.g. `BR.1502576394655843` or `US.ENT.1181…`.
    Bsuid(String),
    /// A group (`…@g.us`): acknowledged and ignored, never a chat.
    Group(String),
    /// Status updates, broadcast lists, newsletters: never a chat either.
    Broadcast(String),
}

/// Why a peer id could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("identificador WhatsApp inválido: {0}")]
pub struct InvalidPeer(pub String);

/// `CC.` (two capital letters), an optional `ENT.`, then 1..=128 letters and digits.
fn is_bsuid(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 4 || !b[0].is_ascii_uppercase() || !b[1].is_ascii_uppercase() || b[2] != b'.' {
        return false;
    }
    let rest = &s[3..];
    let rest = rest.strip_prefix("ENT.").unwrap_or(rest);
    (1..=128).contains(&rest.len()) && rest.bytes().all(|c| c.is_ascii_alphanumeric())
}

impl WaPeer {
    pub fn parse(raw: &str) -> Result<Self, InvalidPeer> {
        let s = raw.trim();
        let bad = || InvalidPeer(s.to_string());
        if let Some((user, server)) = s.rsplit_once('@') {
            // `5511…:12@s.whatsapp.net`: the part after `:` names the device.
            let user = user.split(':').next().unwrap_or(user);
            return match server.to_ascii_lowercase().as_str() {
                "s.whatsapp.net" | "c.us" => CanonicalNumber::parse(user)
                    .map(WaPeer::Number)
                    .map_err(|_| bad()),
                "lid" if !user.is_empty() && user.bytes().all(|c| c.is_ascii_digit()) => {
                    Ok(WaPeer::Lid(user.to_string()))
                }
                "g.us" if !user.is_empty() => Ok(WaPeer::Group(user.to_string())),
                "broadcast" | "newsletter" => Ok(WaPeer::Broadcast(s.to_string())),
                _ => Err(bad()),
            };
        }
        if is_bsuid(s) {
            return Ok(WaPeer::Bsuid(s.to_string()));
        }
        CanonicalNumber::parse(s)
            .map(WaPeer::Number)
            .map_err(|_| bad())
    }

    /// Groups and broadcasts are never chats.
    pub fn is_chat(&self) -> bool {
        !matches!(self, WaPeer::Group(_) | WaPeer::Broadcast(_))
    }

    /// The number, when this peer is one.
    pub fn number(&self) -> Option<&CanonicalNumber> {
        match self {
            WaPeer::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The canonical text of this peer: the digits of a number, `<digits>@lid` for a linked-
    /// device id (what a gateway can send to), the BSUID itself, the JID of a group.
    pub fn key(&self) -> String {
        match self {
            WaPeer::Number(n) => n.as_str().to_string(),
            WaPeer::Lid(d) => format!("{d}@lid"),
            WaPeer::Bsuid(b) => b.clone(),
            WaPeer::Group(g) => format!("{g}@g.us"),
            WaPeer::Broadcast(b) => b.clone(),
        }
    }
}

/// The canonical form of `raw` when it is a peer id, else `raw` trimmed (a free-form chat
/// id of a test inject, say, is kept as given).
pub fn canonical_or_raw(raw: &str) -> String {
    match WaPeer::parse(raw) {
        Ok(p) => p.key(),
        Err(_) => raw.trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_cover_the_hand_saved_forms() {
        let s = CanonicalNumber::parse("+55 11 98765-4321")
            .unwrap()
            .spellings();
        for f in [
            "5511987654321",
            "+5511987654321",
            "11987654321",
            "551187654321",
            "1187654321",
            "+1187654321",
        ] {
            assert!(s.contains(&f.to_string()), "{f} in {s:?}");
        }
        let landline = CanonicalNumber::parse("551133334444").unwrap().spellings();
        assert_eq!(
            landline,
            ["551133334444", "+551133334444", "1133334444", "+1133334444"]
        );
        let foreign = CanonicalNumber::parse("14155550100").unwrap().spellings();
        assert_eq!(foreign, ["14155550100", "+14155550100"]);
    }

    fn canon(s: &str) -> String {
        CanonicalNumber::parse(s).expect(s).into_string()
    }

    #[test]
    fn brazilian_mobiles_in_every_written_form_are_one_number() {
        for form in [
            "+55 (11) 98765-4321",
            "5511987654321",
            "+5511987654321",
            "55 11 98765 4321",
            "0055 11 98765-4321",
            "55.11.98765.4321",
        ] {
            assert_eq!(canon(form), "5511987654321", "{form}");
        }
    }

    #[test]
    fn old_mobiles_without_the_ninth_digit_get_it() {
        assert_eq!(canon("551187654321"), "5511987654321");
        // WhatsApp's legacy JIDs for area codes from 31 up drop the ninth digit.
        assert_eq!(canon("553187654321"), "5531987654321");
        assert_eq!(canon("+55 (21) 6123-4567"), "5521961234567");
        assert!(
            CanonicalNumber::parse("551187654321")
                .unwrap()
                .is_brazilian_mobile()
        );
    }

    #[test]
    fn landlines_keep_their_eight_digits() {
        assert_eq!(canon("+55 (11) 3333-4444"), "551133334444");
        assert_eq!(canon("554132105000"), "554132105000");
        assert!(
            !CanonicalNumber::parse("551133334444")
                .unwrap()
                .is_brazilian_mobile()
        );
        // Not a Brazilian area code: nothing is inserted.
        assert_eq!(canon("552087654321"), "552087654321");
    }

    #[test]
    fn foreign_numbers_keep_their_digits() {
        assert_eq!(canon("+1 (415) 555-2671"), "14155552671");
        assert_eq!(canon("+44 20 7946 0958"), "442079460958");
        assert_eq!(canon("+351 912 345 678"), "351912345678");
        assert_eq!(canon("4930123456"), "4930123456");
    }

    #[test]
    fn text_that_is_not_a_number_is_refused() {
        assert_eq!(
            CanonicalNumber::parse("55 11 abc"),
            Err(InvalidNumber::Characters)
        );
        assert_eq!(CanonicalNumber::parse("5511"), Err(InvalidNumber::Length));
        assert_eq!(
            CanonicalNumber::parse("1234567890123456"),
            Err(InvalidNumber::Length)
        );
        assert_eq!(
            CanonicalNumber::parse("011987654321"),
            Err(InvalidNumber::Length)
        );
        assert_eq!(CanonicalNumber::parse(""), Err(InvalidNumber::Length));
    }

    #[test]
    fn phone_jids_are_numbers_with_or_without_a_device() {
        let n = |s: &str| WaPeer::parse(s).expect(s);
        assert_eq!(n("5511987654321@s.whatsapp.net").key(), "5511987654321");
        assert_eq!(n("551187654321@s.whatsapp.net").key(), "5511987654321");
        assert_eq!(n("5511987654321:12@s.whatsapp.net").key(), "5511987654321");
        assert_eq!(n("5511987654321@c.us").key(), "5511987654321");
        assert!(n("5511987654321@s.whatsapp.net").is_chat());
        assert_eq!(
            n("551187654321@s.whatsapp.net")
                .number()
                .map(|x| x.as_str()),
            Some("5511987654321")
        );
    }

    #[test]
    fn lid_ids_are_kept_as_lids() {
        let p = WaPeer::parse("123456789012345@lid").unwrap();
        assert_eq!(p, WaPeer::Lid("123456789012345".into()));
        assert_eq!(p.key(), "123456789012345@lid");
        assert!(p.is_chat());
        assert!(p.number().is_none());
        assert_eq!(
            WaPeer::parse("123456789012345:3@lid").unwrap().key(),
            "123456789012345@lid"
        );
        assert!(WaPeer::parse("abc@lid").is_err());
    }

    #[test]
    fn groups_and_broadcasts_are_never_chats() {
        let g = WaPeer::parse("120363025246125486@g.us").unwrap();
        assert_eq!(g, WaPeer::Group("120363025246125486".into()));
        assert!(!g.is_chat());
        assert!(
            !WaPeer::parse("5511987654321-1600000000@g.us")
                .unwrap()
                .is_chat()
        );
        assert!(!WaPeer::parse("status@broadcast").unwrap().is_chat());
        assert!(WaPeer::parse("x@example.com").is_err());
    }

    #[test]
    fn business_scoped_user_ids_are_recognized() {
        let p = WaPeer::parse("BR.1502576394655843").unwrap();
        assert_eq!(p, WaPeer::Bsuid("BR.1502576394655843".into()));
        assert_eq!(p.key(), "BR.1502576394655843");
        assert_eq!(
            WaPeer::parse("US.ENT.11815799212886844830").unwrap(),
            WaPeer::Bsuid("US.ENT.11815799212886844830".into())
        );
        assert!(WaPeer::parse("br.150").is_err());
        assert!(WaPeer::parse("BR.").is_err());
    }

    #[test]
    fn canonical_or_raw_keeps_free_form_ids() {
        assert_eq!(canonical_or_raw(" +55 (11) 98765-4321 "), "5511987654321");
        assert_eq!(canonical_or_raw("c1"), "c1");
        assert_eq!(canonical_or_raw("5511"), "5511");
        assert_eq!(canonical_or_raw("99@lid"), "99@lid");
    }
}
