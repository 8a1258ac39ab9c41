//! The contract's standard validation messages (§1.4), in Portuguese exactly as the original.

pub const REQUIRED: &str = "Este campo é obrigatório.";
pub const NULL: &str = "Este campo não pode ser nulo.";
pub const BLANK: &str = "Este campo não pode ser em branco.";
pub const EMAIL: &str = "Insira um endereço de email válido.";
pub const INTEGER: &str = "Um número inteiro válido é exigido.";
pub const BOOLEAN: &str = "Must be a valid boolean.";
pub const NOT_A_STRING: &str = "Not a valid string.";
/// Django's `ProhibitNullCharactersValidator` (every DRF `CharField`).
pub const NULL_CHARACTERS: &str = "Caracteres nulos não são permitidos.";
pub const PATTERN: &str = "Este valor não corresponde ao padrão exigido.";
pub const DATE: &str = "Formato inválido para data. Use um dos formatos a seguir: YYYY-MM-DD.";
pub const TIME: &str =
    "Formato inválido para Tempo. Use um dos formatos a seguir: hh:mm[:ss[.uuuuuu]].";
pub const NO_FILE: &str = "Nenhum arquivo foi submetido.";
pub const NOT_A_LIST: &str = "Esperado uma lista de itens mas recebido tipo \"{}\".";

pub fn max_length(n: usize) -> String {
    format!("Certifique-se de que este campo não tenha mais de {n} caracteres.")
}

pub fn min_value(n: i64) -> String {
    format!("Certifque-se de que este valor seja maior ou igual a {n}.")
}

pub fn max_value(n: i64) -> String {
    format!("Certifique-se de que este valor seja inferior ou igual a {n}.")
}

pub fn invalid_choice(v: &str) -> String {
    format!("\"{v}\" não é um escolha válido.")
}

pub fn invalid_pk(v: &str) -> String {
    format!("Pk inválido \"{v}\" - objeto não existe.")
}

/// Filter (query-string) choice error.
pub fn invalid_filter_choice(v: &str) -> String {
    format!("Faça uma escolha válida. {v} não é uma das escolhas disponíveis.")
}
