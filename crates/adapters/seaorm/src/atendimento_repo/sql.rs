//! A small builder of raw statements with `?` placeholders, numbered (`$1`…) for PostgreSQL.

use sea_orm::{DbBackend, QueryResult, Statement, Value};

#[derive(Debug, Clone, Default)]
pub(crate) struct Sql {
    text: String,
    values: Vec<Value>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_string(),
            values: Vec::new(),
        }
    }

    /// Appends text without placeholders.
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends text holding placeholders and their values, in order.
    pub fn bind<I: IntoIterator<Item = Value>>(&mut self, text: &str, values: I) -> &mut Self {
        self.text.push_str(text);
        self.values.extend(values);
        self
    }

    /// Appends another statement part (its text and values).
    pub fn append(&mut self, other: &Sql) -> &mut Self {
        self.text.push_str(&other.text);
        self.values.extend(other.values.iter().cloned());
        self
    }

    /// Appends text with one placeholder.
    pub fn bind1(&mut self, text: &str, v: impl Into<Value>) -> &mut Self {
        self.bind(text, [v.into()])
    }

    /// `col IN (?, ?, …)` (`1 = 0` for an empty list).
    pub fn in_list(&mut self, col: &str, values: Vec<Value>) -> &mut Self {
        if values.is_empty() {
            return self.push("1 = 0");
        }
        let marks = vec!["?"; values.len()].join(", ");
        self.bind(&format!("{col} IN ({marks})"), values)
    }

    /// `AND col` contains `needle` ignoring case (each of `cols`; any may match).
    pub fn icontains_any(&mut self, cols: &[&str], needle: &str, backend: DbBackend) -> &mut Self {
        if needle.contains('\0') {
            return self.push(" AND 1 = 0");
        }
        self.push(" AND (");
        for (i, col) in cols.iter().enumerate() {
            if i > 0 {
                self.push(" OR ");
            }
            match backend {
                DbBackend::Sqlite => {
                    self.bind1(
                        &format!("{col} REGEXP ?"),
                        format!("(?i){}", regex::escape(needle)),
                    );
                }
                _ => {
                    let mut p = String::from("%");
                    for ch in needle.chars() {
                        if matches!(ch, '%' | '_' | '\\') {
                            p.push('\\');
                        }
                        p.push(ch);
                    }
                    p.push('%');
                    self.bind1(&format!("LOWER({col}) LIKE ? ESCAPE '\\'"), p);
                }
            }
        }
        self.push(")")
    }

    pub fn build(&self, backend: DbBackend) -> Statement {
        let text = if backend == DbBackend::Postgres {
            let mut out = String::with_capacity(self.text.len() + 16);
            let mut n = 0;
            for ch in self.text.chars() {
                if ch == '?' {
                    n += 1;
                    out.push('$');
                    out.push_str(&n.to_string());
                } else {
                    out.push(ch);
                }
            }
            out
        } else {
            self.text.clone()
        };
        Statement::from_sql_and_values(backend, text, self.values.clone())
    }
}

/// A column of a raw row, by name.
pub(crate) fn col<T: sea_orm::TryGetable>(
    r: &QueryResult,
    name: &str,
) -> Result<T, sea_orm::DbErr> {
    r.try_get::<T>("", name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_placeholders_are_numbered() {
        let mut q = Sql::new("SELECT 1 FROM t WHERE a = ?");
        q.bind1(" AND b = ?", 2)
            .in_list(" AND c", vec![1.into(), 2.into()]);
        let pg = q.build(DbBackend::Postgres);
        assert_eq!(
            pg.sql,
            "SELECT 1 FROM t WHERE a = $1 AND b = $2 AND c IN ($3, $4)"
        );
        let lite = q.build(DbBackend::Sqlite);
        assert_eq!(
            lite.sql,
            "SELECT 1 FROM t WHERE a = ? AND b = ? AND c IN (?, ?)"
        );
    }
}
