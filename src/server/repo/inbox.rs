//! What the inbox reads and what staff do to a conversation. Every query takes the caller's workspace
//! id; the list is a keyset page over (last activity, id), served by the migration's indexes.
use super::conversations;
use super::{Placeholders, begin_write, now};
use crate::domain::inbox::{
    Channel, ConversationStatus, Cursor, CustomerName, SearchQuery, StaffAction,
};
use crate::domain::{Rejected, Role};
use crate::server::entities::{conversation, message, sms_contact, twilio_connection, user};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr,
    EntityTrait, FromQueryResult, QueryFilter, QueryOrder, Set, Statement, Unchanged, Value,
};
use uuid::Uuid;

/// Rows per page of the conversation list.
pub const PAGE: usize = 50;
/// Messages per page of a thread (newest first; "earlier" loads more).
pub const THREAD_PAGE: usize = 100;

/// Who the list is narrowed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AssigneeFilter {
    #[default]
    Anyone,
    Unassigned,
    User(Uuid),
}

#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub status: Option<ConversationStatus>,
    pub channel: Option<Channel>,
    pub chatbot: Option<Uuid>,
    pub assignee: AssigneeFilter,
    pub search: Option<SearchQuery>,
}

/// One row of the list, as the query reads it.
#[derive(Debug, Clone, FromQueryResult)]
pub struct ListRow {
    pub id: Uuid,
    pub channel: String,
    pub customer_address: String,
    pub customer_name: Option<String>,
    pub business_number: Option<String>,
    pub status: String,
    pub last_message_at: DateTime<Utc>,
    pub last_message_preview: String,
    pub last_inbound_at: Option<DateTime<Utc>>,
    pub seen_at: Option<DateTime<Utc>>,
    pub chatbot_name: String,
    pub friendly_name: Option<String>,
    pub assignee_id: Option<Uuid>,
    pub assignee_email: Option<String>,
}

impl ListRow {
    /// The customer wrote since a teammate last opened the conversation.
    pub fn unread(&self) -> bool {
        match (self.last_inbound_at, self.seen_at) {
            (Some(inbound), Some(seen)) => inbound > seen,
            (Some(_), None) => true,
            (None, _) => false,
        }
    }

    pub fn cursor(&self) -> Cursor {
        Cursor {
            at_nanos: self
                .last_message_at
                .timestamp_nanos_opt()
                .unwrap_or(i64::MAX),
            id: self.id,
        }
    }
}

/// SQL with its bound values, numbering placeholders for the backend.
struct Query {
    sql: String,
    values: Vec<Value>,
    placeholders: Placeholders,
}

impl Query {
    fn new(backend: DatabaseBackend, sql: &str) -> Self {
        Self {
            sql: sql.to_owned(),
            values: Vec::new(),
            placeholders: Placeholders::new(backend),
        }
    }

    /// Binds a value and returns its placeholder.
    fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        self.placeholders.at(self.values.len())
    }

    fn push(&mut self, sql: &str) {
        self.sql.push_str(sql);
    }

    fn statement(self, backend: DatabaseBackend) -> Statement {
        Statement::from_sql_and_values(backend, self.sql, self.values)
    }
}

/// `%text%` for LIKE, with LIKE's own wildcards escaped (the query says `ESCAPE '\'`).
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The FTS5 query for a substring: one quoted phrase (the trigram tokenizer matches it anywhere).
fn fts_phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// A page of the workspace's conversations, newest activity first, after `after` (exclusive).
/// Returns up to `PAGE` rows and whether there are more.
///
/// The page is chosen from `conversations` alone and only its rows are joined to the names they
/// show: with the joins beside the keyset condition, SQLite's planner started from `chatbots` and
/// sorted the whole workspace (340 ms for a page 1,000 rows deep at 100,000 conversations; see
/// `cargo bench --bench inbox`). Every conversation has its chatbot (a foreign key that cascades), so
/// the inner join drops no row of the page.
pub async fn list(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    filter: &ListFilter,
    after: Option<Cursor>,
) -> Result<(Vec<ListRow>, bool), DbErr> {
    let backend = db.get_database_backend();
    let postgres = backend == DatabaseBackend::Postgres;
    let mut q = Query::new(
        backend,
        "SELECT c.id, c.channel, c.customer_address, c.customer_name, c.business_number, c.status, \
           c.last_message_at, c.last_message_preview, c.last_inbound_at, c.seen_at, \
           b.name AS chatbot_name, t.friendly_name, c.assignee_id, u.email AS assignee_email \
         FROM (SELECT c.id, c.workspace_id, c.chatbot_id, c.channel, c.customer_address, \
             c.customer_name, c.business_number, c.status, c.last_message_at, \
             c.last_message_preview, c.last_inbound_at, c.seen_at, c.assignee_id \
           FROM conversations c WHERE c.workspace_id = ",
    );
    let ws = q.bind(workspace_id);
    q.push(&ws);
    if let Some(status) = filter.status {
        let p = q.bind(status.as_str());
        q.push(&format!(" AND c.status = {p}"));
    }
    if let Some(channel) = filter.channel {
        let p = q.bind(channel.as_str());
        q.push(&format!(" AND c.channel = {p}"));
    }
    if let Some(chatbot) = filter.chatbot {
        let p = q.bind(chatbot);
        q.push(&format!(" AND c.chatbot_id = {p}"));
    }
    match filter.assignee {
        AssigneeFilter::Anyone => {}
        AssigneeFilter::Unassigned => q.push(" AND c.assignee_id IS NULL"),
        AssigneeFilter::User(id) => {
            let p = q.bind(id);
            q.push(&format!(" AND c.assignee_id = {p}"));
        }
    }
    if let Some(search) = &filter.search {
        if is_common(db, workspace_id, search).await? {
            let matches = search_walk(&mut q, postgres, search);
            q.push(&format!(" AND ({matches})"));
        } else {
            let matches = search_matches(&mut q, postgres, &ws, search);
            q.push(&format!(" AND c.id IN ({matches})"));
        }
    }
    if let Some(cursor) = after {
        let at = DateTime::<Utc>::from_timestamp_nanos(cursor.at_nanos);
        let pa = q.bind(at);
        let pi = q.bind(cursor.id);
        q.push(&format!(" AND (c.last_message_at, c.id) < ({pa}, {pi})"));
    }
    q.push(&format!(
        " ORDER BY c.last_message_at DESC, c.id DESC LIMIT {}) c \
         JOIN chatbots b ON b.id = c.chatbot_id \
         LEFT JOIN twilio_connections t ON t.phone_number = c.business_number AND t.workspace_id = c.workspace_id \
         LEFT JOIN users u ON u.id = c.assignee_id AND u.workspace_id = c.workspace_id \
         ORDER BY c.last_message_at DESC, c.id DESC",
        PAGE + 1
    ));
    let mut rows = ListRow::find_by_statement(q.statement(backend))
        .all(db)
        .await?;
    let more = rows.len() > PAGE;
    rows.truncate(PAGE);
    Ok((rows, more))
}

/// A query for the ids of the workspace's conversations a search finds: the customer's number (when
/// the search looks like one), the name staff gave them, or the text of any message. Each part is
/// read through an index (PostgreSQL's trigram indexes; SQLite's FTS5 trigram tables, with the
/// LIKE kept to decide), so a search that finds a few conversations reads only those. As one
/// condition `number OR name OR message` instead, both planners walked every conversation of the
/// workspace newest first, testing each: 140 ms (SQLite) and 80 ms (PostgreSQL) for five digits of a
/// number at 100,000 conversations, and on PostgreSQL a word in a fifth of all messages took 18 s once
/// its matches outgrew `work_mem` and the subquery ran again for every conversation. The price: a
/// word in very many conversations now sorts all of them, where the walk stopped at a page (on SQLite
/// a word in 5 % of messages takes about 230 ms instead of 110–190 ms; slow either way).
fn search_matches(q: &mut Query, postgres: bool, ws: &str, search: &SearchQuery) -> String {
    let text = search.as_str();
    if postgres {
        let mut customer = Vec::new();
        if let Some(digits) = search.phone_digits() {
            let p = q.bind(contains_pattern(&digits));
            customer.push(format!("s.customer_address LIKE {p} ESCAPE '\\'"));
        }
        let p = q.bind(contains_pattern(text));
        customer.push(format!("s.customer_name ILIKE {p} ESCAPE '\\'"));
        format!(
            "SELECT s.id FROM conversations s WHERE s.workspace_id = {ws} AND ({customer}) \
             UNION ALL \
             SELECT m.conversation_id FROM messages m \
               WHERE m.workspace_id = {ws} AND m.direction <> 'event' AND m.body ILIKE {p} ESCAPE '\\'",
            customer = customer.join(" OR ")
        )
    } else {
        let mut parts = Vec::new();
        let mut customer = |q: &mut Query, column: &str, value: &str| {
            let m = q.bind(format!("{column} : {}", fts_phrase(value)));
            let p = q.bind(contains_pattern(value));
            parts.push(format!(
                "SELECT s.id FROM conversations_fts g JOIN conversations s ON s.rowid = g.rowid \
                 WHERE conversations_fts MATCH {m} AND s.workspace_id = {ws} \
                 AND s.{column} LIKE {p} ESCAPE '\\'"
            ));
        };
        if let Some(digits) = search.phone_digits() {
            customer(q, "customer_address", &digits);
        }
        customer(q, "customer_name", text);
        let p = q.bind(fts_phrase(text));
        parts.push(format!(
            "SELECT m.conversation_id FROM messages_fts f JOIN messages m ON m.rowid = f.rowid \
             WHERE messages_fts MATCH {p} AND m.workspace_id = {ws}"
        ));
        parts.join(" UNION ALL ")
    }
}

/// From this many matching messages on, a search is answered by walking the conversations newest
/// first (see [`search_walk`]) instead of gathering every match through the index.
const COMMON_MATCHES: u64 = 2_000;

/// Whether a search's text is in at least [`COMMON_MATCHES`] of the workspace's messages. SQLite
/// counts through its FTS5 index and stops there, so a rare word costs its few matches and a common
/// one at most that many. PostgreSQL's trigram index cannot stop early (a bitmap scan reads every
/// match: 48 ms for a word in 5 % of a million messages), so its planner's estimate decides, from
/// `pg_trgm`'s statistics (50,554 estimated for 54,445 real; rare words are estimated at 100).
async fn is_common(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    search: &SearchQuery,
) -> Result<bool, DbErr> {
    let backend = db.get_database_backend();
    if backend == DatabaseBackend::Postgres {
        let mut q = Query::new(
            backend,
            "EXPLAIN (FORMAT JSON) SELECT 1 FROM messages m WHERE m.workspace_id = ",
        );
        let ws = q.bind(workspace_id);
        q.push(&ws);
        let p = q.bind(contains_pattern(search.as_str()));
        q.push(&format!(
            " AND m.direction <> 'event' AND m.body ILIKE {p} ESCAPE '\\'"
        ));
        let Some(row) = db.query_one_raw(q.statement(backend)).await? else {
            return Ok(false);
        };
        let plan: serde_json::Value = row.try_get_by_index(0)?;
        let estimate = plan[0]["Plan"]["Plan Rows"].as_f64().unwrap_or(0.0);
        return Ok(estimate >= COMMON_MATCHES as f64);
    }
    let mut q = Query::new(backend, "SELECT COUNT(*) AS n FROM (");
    let ws = q.bind(workspace_id);
    let p = q.bind(fts_phrase(search.as_str()));
    q.push(&format!(
        "SELECT 1 FROM messages_fts f JOIN messages m ON m.rowid = f.rowid \
         WHERE messages_fts MATCH {p} AND m.workspace_id = {ws} LIMIT {COMMON_MATCHES}) x"
    ));
    #[derive(FromQueryResult)]
    struct Count {
        n: i64,
    }
    let count = Count::find_by_statement(q.statement(backend))
        .one(db)
        .await?
        .map_or(0, |c| c.n);
    Ok(u64::try_from(count).unwrap_or(0) >= COMMON_MATCHES)
}

/// The condition, on each conversation of the list, that a common search text is in its number,
/// its name or one of its messages. Evaluated conversation by conversation newest first, the page
/// fills after a few thousand of them, where gathering the tens of thousands of matches and
/// sorting their conversations took 0.2–0.6 s.
fn search_walk(q: &mut Query, postgres: bool, search: &SearchQuery) -> String {
    let like = if postgres { "ILIKE" } else { "LIKE" };
    let mut parts = Vec::new();
    if let Some(digits) = search.phone_digits() {
        let p = q.bind(contains_pattern(&digits));
        parts.push(format!("c.customer_address LIKE {p} ESCAPE '\\'"));
    }
    let p = q.bind(contains_pattern(search.as_str()));
    parts.push(format!("c.customer_name {like} {p} ESCAPE '\\'"));
    // `OFFSET 0` keeps PostgreSQL from turning the EXISTS into a hashed subplan, which reads every
    // matching message first (325 ms instead of 9 ms for a word in 5 % of a million messages).
    let fence = if postgres { " OFFSET 0" } else { "" };
    parts.push(format!(
        "EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id \
         AND m.direction <> 'event' AND m.body {like} {p} ESCAPE '\\'{fence})"
    ));
    parts.join(" OR ")
}

/// How many of the workspace's conversations wait for a person.
pub async fn needs_person_count(db: &DatabaseConnection, workspace_id: Uuid) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    conversation::Entity::find()
        .filter(conversation::Column::WorkspaceId.eq(workspace_id))
        .filter(conversation::Column::Status.eq(ConversationStatus::NeedsHuman.as_str()))
        .count(db)
        .await
}

/// A conversation of the workspace, or `None` (another workspace's id is simply not found).
pub async fn find(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    id: Uuid,
) -> Result<Option<conversation::Model>, DbErr> {
    conversation::Entity::find_by_id(id)
        .filter(conversation::Column::WorkspaceId.eq(workspace_id))
        .one(db)
        .await
}

/// A message of a thread, with the teammate who wrote it.
#[derive(Debug, Clone, FromQueryResult)]
pub struct ThreadRow {
    pub id: Uuid,
    pub direction: String,
    pub author: String,
    pub body: String,
    pub status: String,
    pub error_code: Option<i32>,
    pub error_link: Option<String>,
    pub segments: i32,
    pub encoding: String,
    pub attachments_dropped: i32,
    pub created_at: DateTime<Utc>,
    pub author_email: Option<String>,
}

/// Up to `THREAD_PAGE` messages of a conversation before `before` (the newest when `None`), oldest
/// first, and whether there are earlier ones.
pub async fn thread(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    conversation_id: Uuid,
    before: Option<Cursor>,
) -> Result<(Vec<ThreadRow>, bool), DbErr> {
    let backend = db.get_database_backend();
    let mut q = Query::new(
        backend,
        "SELECT m.id, m.direction, m.author, m.body, m.status, m.error_code, m.error_link, m.segments, m.encoding, \
           m.attachments_dropped, m.created_at, u.email AS author_email \
         FROM messages m LEFT JOIN users u ON u.id = m.author_user_id AND u.workspace_id = m.workspace_id \
         WHERE m.conversation_id = ",
    );
    let p = q.bind(conversation_id);
    q.push(&p);
    let p = q.bind(workspace_id);
    q.push(&format!(" AND m.workspace_id = {p}"));
    if let Some(cursor) = before {
        let at = DateTime::<Utc>::from_timestamp_nanos(cursor.at_nanos);
        let pa = q.bind(at);
        let pi = q.bind(cursor.id);
        q.push(&format!(" AND (m.created_at, m.id) < ({pa}, {pi})"));
    }
    q.push(&format!(
        " ORDER BY m.created_at DESC, m.id DESC LIMIT {}",
        THREAD_PAGE + 1
    ));
    let mut rows = ThreadRow::find_by_statement(q.statement(backend))
        .all(db)
        .await?;
    let earlier = rows.len() > THREAD_PAGE;
    rows.truncate(THREAD_PAGE);
    rows.reverse();
    Ok((rows, earlier))
}

/// The customer's opt-out state on the conversation's business number.
pub async fn contact(
    db: &DatabaseConnection,
    conversation: &conversation::Model,
) -> Result<Option<sms_contact::Model>, DbErr> {
    let Some(business_number) = conversation.business_number.as_deref() else {
        return Ok(None);
    };
    sms_contact::Entity::find()
        .filter(sms_contact::Column::WorkspaceId.eq(conversation.workspace_id))
        .filter(sms_contact::Column::BusinessNumber.eq(business_number))
        .filter(sms_contact::Column::CustomerNumber.eq(conversation.customer_address.as_str()))
        .one(db)
        .await
}

/// The SMS connection a conversation's texts go out through, if its chatbot still has it.
pub async fn connection(
    db: &DatabaseConnection,
    conversation: &conversation::Model,
) -> Result<Option<twilio_connection::Model>, DbErr> {
    let Some(business_number) = conversation.business_number.as_deref() else {
        return Ok(None);
    };
    twilio_connection::Entity::find()
        .filter(twilio_connection::Column::WorkspaceId.eq(conversation.workspace_id))
        .filter(twilio_connection::Column::ChatbotId.eq(conversation.chatbot_id))
        .filter(twilio_connection::Column::PhoneNumber.eq(business_number))
        .one(db)
        .await
}

/// The workspace's teammates (id, email, role), for the assignee filter.
pub async fn teammates(
    db: &DatabaseConnection,
    workspace_id: Uuid,
) -> Result<Vec<(Uuid, String, Role)>, DbErr> {
    Ok(user::Entity::find()
        .filter(user::Column::WorkspaceId.eq(workspace_id))
        .order_by_asc(user::Column::Email)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|u| Some((u.id, u.email, u.role.parse().ok()?)))
        .collect())
}

/// A teammate's email, if they are a member of the workspace.
pub async fn teammate_email(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    user_id: Uuid,
) -> Result<Option<String>, DbErr> {
    Ok(user::Entity::find_by_id(user_id)
        .filter(user::Column::WorkspaceId.eq(workspace_id))
        .one(db)
        .await?
        .map(|u| u.email))
}

/// Marks a conversation as seen by the team now.
pub async fn mark_seen(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    conversation_id: Uuid,
) -> Result<(), DbErr> {
    let _gate = super::write_gate(db).await;
    conversation::Entity::update_many()
        .col_expr(
            conversation::Column::SeenAt,
            sea_orm::sea_query::Expr::value(now()),
        )
        .filter(conversation::Column::Id.eq(conversation_id))
        .filter(conversation::Column::WorkspaceId.eq(workspace_id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Who did something to a conversation.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub user_id: Uuid,
    pub email: &'a str,
}

/// What a staff action did.
#[derive(Debug)]
pub enum Acted {
    Done(Box<conversation::Model>),
    Refused(Rejected),
    NotFound,
}

/// Applies a staff action in one transaction: the new status and assignee, an event in the thread,
/// and — when a person now wants or holds the conversation — every bot reply not yet sent is
/// canceled, so the bot sends nothing from this moment (the worker re-checks at send time too).
pub async fn act(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    conversation_id: Uuid,
    actor: Actor<'_>,
    action: StaffAction,
) -> Result<Acted, DbErr> {
    let txn = begin_write(db).await?;
    let Some(found) = find(&*txn, workspace_id, conversation_id).await? else {
        return Ok(Acted::NotFound);
    };
    let before = found
        .status
        .parse::<ConversationStatus>()
        .unwrap_or(ConversationStatus::Bot);
    if action == StaffAction::TakeOver
        && before == ConversationStatus::Human
        && found.assignee_id == Some(actor.user_id)
    {
        return Ok(Acted::Done(Box::new(found)));
    }
    let after = match before.after(action) {
        Ok(after) => after,
        Err(refused) => return Ok(Acted::Refused(refused)),
    };
    let assignee = if action.assigns_actor() {
        Some(actor.user_id)
    } else if action == StaffAction::HandBack {
        None
    } else {
        found.assignee_id
    };
    let updated = conversation::ActiveModel {
        id: Unchanged(found.id),
        status: Set(after.as_str().to_owned()),
        assignee_id: Set(assignee),
        ..Default::default()
    }
    .update(&*txn)
    .await?;
    let canceled = if after.silences_bot() {
        cancel_bot_replies(&*txn, found.id).await?
    } else {
        0
    };
    let mut text = match action {
        StaffAction::TakeOver => format!("{} took over the conversation.", actor.email),
        StaffAction::HandBack => {
            format!("{} handed the conversation back to the bot.", actor.email)
        }
        StaffAction::Resolve => format!("{} resolved the conversation.", actor.email),
        StaffAction::Reopen => format!("{} reopened the conversation.", actor.email),
    };
    if canceled > 0 {
        text.push_str(" The bot's reply that was waiting to go out was not sent.");
    }
    conversations::add_event(&*txn, workspace_id, found.id, Some(actor.user_id), &text).await?;
    txn.commit().await?;
    Ok(Acted::Done(Box::new(updated)))
}

/// Cancels the bot's replies of a conversation that were recorded but not yet handed to Twilio.
async fn cancel_bot_replies(
    db: &impl ConnectionTrait,
    conversation_id: Uuid,
) -> Result<u64, DbErr> {
    let result = message::Entity::update_many()
        .col_expr(
            message::Column::Status,
            sea_orm::sea_query::Expr::value("canceled"),
        )
        .col_expr(
            message::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(now()),
        )
        .filter(message::Column::ConversationId.eq(conversation_id))
        .filter(message::Column::Author.eq("bot"))
        .filter(message::Column::Status.eq("pending"))
        .filter(message::Column::TwilioSid.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Queues a teammate's reply. Replying takes the conversation over first (assigned to the writer, the
/// bot's waiting replies canceled), so the bot and a person never answer side by side.
pub async fn reply(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    conversation_id: Uuid,
    actor: Actor<'_>,
    body: &str,
) -> Result<Option<message::Model>, DbErr> {
    if let Acted::NotFound = act(
        db,
        workspace_id,
        conversation_id,
        actor,
        StaffAction::TakeOver,
    )
    .await?
    {
        return Ok(None);
    }
    let txn = begin_write(db).await?;
    let Some(found) = find(&*txn, workspace_id, conversation_id).await? else {
        return Ok(None);
    };
    let message =
        conversations::queue_outbound(&*txn, &found, "human", Some(actor.user_id), body).await?;
    txn.commit().await?;
    Ok(Some(message))
}

/// An outbound message of the workspace (a retry by hand checks that it failed).
pub async fn outbound_message(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    message_id: Uuid,
) -> Result<Option<message::Model>, DbErr> {
    message::Entity::find_by_id(message_id)
        .filter(message::Column::WorkspaceId.eq(workspace_id))
        .filter(message::Column::Direction.eq("outbound"))
        .one(db)
        .await
}

/// Sends a failed message again as a new message (the failed one stays in the thread as it was).
pub async fn retry(
    db: &DatabaseConnection,
    conversation: &conversation::Model,
    failed: &message::Model,
    actor: Actor<'_>,
) -> Result<message::Model, DbErr> {
    let txn = begin_write(db).await?;
    conversations::add_event(
        &*txn,
        conversation.workspace_id,
        conversation.id,
        Some(actor.user_id),
        &format!("{} sent a failed text again.", actor.email),
    )
    .await?;
    let message = conversations::queue_outbound(
        &*txn,
        conversation,
        &failed.author,
        failed.author_user_id,
        &failed.body,
    )
    .await?;
    txn.commit().await?;
    Ok(message)
}

/// Names the customer of a conversation (or clears the name).
pub async fn rename(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    conversation_id: Uuid,
    name: Option<&CustomerName>,
) -> Result<bool, DbErr> {
    let _gate = super::write_gate(db).await;
    let result = conversation::Entity::update_many()
        .col_expr(
            conversation::Column::CustomerName,
            sea_orm::sea_query::Expr::value(name.map(|n| n.as_str().to_owned())),
        )
        .filter(conversation::Column::Id.eq(conversation_id))
        .filter(conversation::Column::WorkspaceId.eq(workspace_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_in_a_search_are_taken_literally() {
        assert_eq!(contains_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }

    #[test]
    fn an_fts_phrase_quotes_its_quotes() {
        assert_eq!(fts_phrase("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
