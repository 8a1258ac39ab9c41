//! Black-box HTTP tests of the DX Connect server (one binary; one server per test).

mod auth;
mod authz;
mod clientes;
mod concurrency;
mod common;
mod config;
mod contatos;
mod conventions;
mod docs;
mod documentos;
mod lists;
mod media;
mod reliability;
