//! Black-box HTTP tests of the DX Connect server (one binary; one server per test).

mod auth;
mod authz;
mod automacoes;
mod clientes;
mod common;
mod concurrency;
mod config;
mod contatos;
mod conventions;
mod docs;
mod documentos;
mod durability;
mod lifecycle;
mod lists;
mod media;
mod presence;
mod relatorios;
mod reliability;
mod websocket;
mod whatsapp;
