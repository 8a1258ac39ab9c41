//! A per-agent token version: `agents.tokens_not_before`, the Unix second before which the
//! agent's tokens (by their `iat` claim) are refused. A password change or a deactivation sets
//! it past the current second, so every refresh and access token issued until then stops
//! working; tokens issued afterwards carry an `iat` at or after it. Existing agents start at 0
//! (all their tokens stay valid).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Agents {
    Table,
    TokensNotBefore,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Agents::Table)
                    .add_column(
                        ColumnDef::new(Agents::TokensNotBefore)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Agents::Table)
                    .drop_column(Agents::TokensNotBefore)
                    .to_owned(),
            )
            .await
    }
}
