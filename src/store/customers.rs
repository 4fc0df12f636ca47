//! Customers and the handles that link them across channels.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};

use super::{Result, Store, StoreError, Tx, conversations, messages, ms, ts};
use crate::model::{Conversation, Customer, CustomerId, Handle, HandleKind, Message};

/// Everything the history pane shows for one customer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerHistory {
    /// The customer and their handles.
    pub customer: Customer,
    /// Every conversation of theirs on every channel, newest first.
    pub conversations: Vec<Conversation>,
    /// Every internal note written on any of those conversations, newest first.
    pub notes: Vec<Message>,
}

impl Tx<'_> {
    /// The customer these handles already belong to (the oldest one if they point at
    /// several: customers are never merged behind the agent's back), and the handles
    /// nobody has yet, which the caller links.
    ///
    /// # Errors
    /// A store failure.
    pub fn customer_for_handles<'h>(
        &mut self,
        handles: &'h [Handle],
    ) -> Result<(Option<CustomerId>, Vec<&'h Handle>)> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT customer_id FROM handles WHERE kind = ?1 AND value = ?2")?;
        let mut found: Option<i64> = None;
        let mut unknown = Vec::new();
        for h in handles {
            match stmt
                .query_row(params![h.kind.as_str(), h.value], |r| r.get::<_, i64>(0))
                .optional()?
            {
                Some(id) => found = Some(found.map_or(id, |f| f.min(id))),
                None => unknown.push(h),
            }
        }
        Ok((found.map(CustomerId), unknown))
    }

    /// Creates a customer.
    ///
    /// # Errors
    /// A store failure.
    pub fn create_customer(
        &mut self,
        display_name: Option<&str>,
        now: Timestamp,
    ) -> Result<CustomerId> {
        self.conn
            .prepare_cached("INSERT INTO customers (display_name, created_at) VALUES (?1, ?2)")?
            .execute(params![display_name, ms(now)])?;
        Ok(CustomerId(self.conn.last_insert_rowid()))
    }

    /// Links handles to a customer; handles already linked (to anyone) are left alone.
    ///
    /// # Errors
    /// A store failure.
    pub fn link_handles(
        &mut self,
        customer: CustomerId,
        handles: &[&Handle],
        now: Timestamp,
    ) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "INSERT OR IGNORE INTO handles (kind, value, customer_id, created_at)
             VALUES (?1, ?2, ?3, ?4)",
        )?;
        for h in handles {
            stmt.execute(params![h.kind.as_str(), h.value, customer.0, ms(now)])?;
        }
        Ok(())
    }

    /// Gives a nameless customer the name a channel just told us.
    ///
    /// # Errors
    /// A store failure.
    pub fn fill_display_name(&mut self, customer: CustomerId, name: &str) -> Result<()> {
        self.conn
            .prepare_cached(
                "UPDATE customers SET display_name = ?2 WHERE id = ?1 AND display_name IS NULL",
            )?
            .execute(params![customer.0, name])?;
        Ok(())
    }
}

impl Store {
    /// One customer with their handles.
    ///
    /// # Errors
    /// A store failure.
    pub fn customer(&mut self, id: CustomerId) -> Result<Option<Customer>> {
        self.read(|conn| customer(conn, id))
    }

    /// A customer's whole history across channels: what the history pane shows so that
    /// nobody has to explain their problem twice.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown customer, or a store failure.
    pub fn customer_history(&mut self, id: CustomerId) -> Result<CustomerHistory> {
        self.read(|conn| {
            let customer = customer(conn, id)?.ok_or(StoreError::NotFound("customer"))?;
            let conversations = conversations::of_customer(conn, id)?;
            let notes = messages::notes_of_customer(conn, id)?;
            Ok(CustomerHistory {
                customer,
                conversations,
                notes,
            })
        })
    }
}

pub(super) fn customer(conn: &rusqlite::Connection, id: CustomerId) -> Result<Option<Customer>> {
    let Some((display_name, created_at)) = conn
        .prepare_cached("SELECT display_name, created_at FROM customers WHERE id = ?1")?
        .query_row([id.0], |r| {
            Ok((r.get::<_, Option<String>>(0)?, r.get::<_, i64>(1)?))
        })
        .optional()?
    else {
        return Ok(None);
    };
    let handles = conn
        .prepare_cached(
            "SELECT kind, value FROM handles WHERE customer_id = ?1 ORDER BY created_at, kind",
        )?
        .query_map([id.0], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?
        .filter_map(|row| match row {
            Ok((kind, value)) => HandleKind::parse(&kind).map(|kind| Ok(Handle { kind, value })),
            Err(e) => Some(Err(e)),
        })
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Some(Customer {
        id,
        display_name,
        handles,
        created_at: ts(created_at),
    }))
}
