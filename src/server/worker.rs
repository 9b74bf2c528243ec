//! The reply workers: tasks beside the web server that claim jobs from the `jobs` table with a lease
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several instances share one queue), many at a time,
//! each answered in a task of its own (a conversation has at most one job in hand, so its replies
//! keep their order); they wake when a job is queued on any instance, answer the customer through
//! the agent and Twilio, and retry failures with exponential backoff and jitter.
//! A job whose worker died is taken over when its lease runs out (15 s; renewed while the job runs),
//! one in hand at a graceful stop goes back to the queue at once; a reply is recorded before it is
//! sent and reconciled with Twilio before any resend, so a customer never gets the same reply twice.
use crate::domain::delivery::failure_reason;
use crate::domain::inbox::ConversationStatus;
use crate::domain::sms_keywords::looks_automatic;
use crate::domain::sms_text::{MAX_BODY_CHARS, fit};
use crate::domain::{E164, Plan};
use crate::routes::STATUS_CALLBACK_PATH;
use crate::server::agent::{self, AgentError, Channel, Outcome};
use crate::server::entities::{conversation, job, message};
use crate::server::metrics;
use crate::server::repo::conversations::{self, ReplyContext};
use crate::server::repo::sms;
use crate::server::state::AppState;
use crate::server::telemetry::signals::{self, Scope, Signal};
use crate::server::twilio::client::TwilioError;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseBackend, DbErr, EntityTrait, QueryFilter, QueryTrait, Statement,
};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use uuid::Uuid;

/// How long a claimed job belongs to its worker; past it, another worker may take it over. The
/// worker renews it every [`RENEW_EVERY`] while the job runs, so a slow model call keeps its job and
/// a job whose worker died waits at most this long.
pub const LEASE: Duration = Duration::from_secs(15);
/// How often a running job's lease is renewed.
const RENEW_EVERY: Duration = Duration::from_secs(5);
/// Tries before a job is given up (its reason stays on the job and the message).
pub const MAX_ATTEMPTS: i32 = 6;
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// Said to a customer who sent only a picture (MMS is not supported).
pub const PICTURES_NOT_SUPPORTED: &str = "Sorry, I can only read text messages: pictures and other attachments don't reach me. Could you describe it in words?";

/// Replies each worker keeps in flight at once: answering is mostly waiting (for the model, for
/// Twilio), so one worker runs many, each in its own task.
pub const IN_FLIGHT_PER_WORKER: usize = 32;

/// Starts `count` workers; they stop claiming when `shutdown` turns true and put the jobs in hand
/// back in the queue.
pub fn spawn(
    state: &AppState,
    count: usize,
    shutdown: watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..count)
        .map(|_| {
            let state = state.clone();
            let shutdown = shutdown.clone();
            tokio::spawn(run(state, shutdown))
        })
        .collect()
}

/// Claims ready jobs while it has room and runs each in a task of its own. A conversation's next job
/// becomes ready only when the one before it is finished (see [`claim`]), so its replies keep their
/// order however many run at once.
async fn run(state: AppState, mut shutdown: watch::Receiver<bool>) {
    let mut running = Running::default();
    loop {
        if *shutdown.borrow() {
            break;
        }
        running.reap();
        let room = IN_FLIGHT_PER_WORKER.saturating_sub(running.tasks.len());
        if room == 0 {
            tokio::select! {
                () = running.one_finished() => {}
                _ = shutdown.changed() => {}
            }
            continue;
        }
        // Listening before the claim: a wake that comes while the claim runs (another instance's
        // NOTIFY wakes only the workers waiting at that moment) is kept for the wait below.
        let woken = state.jobs_ready.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        match claim(&state, room).await {
            Ok(jobs) if !jobs.is_empty() => {
                for job in jobs {
                    running.start(&state, job, &shutdown);
                }
            }
            Ok(_) => {
                // A job finishing here may make its conversation's next one ready.
                tokio::select! {
                    () = woken => {}
                    () = running.one_finished() => {}
                    () = tokio::time::sleep(state.config.worker_poll) => {}
                    _ = shutdown.changed() => {}
                }
            }
            Err(error) => {
                tracing::error!(tags.channel = "channels/sms", %error, "could not claim a job");
                tokio::time::sleep(state.config.worker_poll).await;
            }
        }
    }
    // Stopping: every job in hand goes back to the queue (see `run_one`).
    while running.tasks.join_next().await.is_some() {}
}

/// The jobs a worker has in hand, each in its own task.
#[derive(Default)]
struct Running {
    tasks: tokio::task::JoinSet<()>,
    jobs: std::collections::HashMap<tokio::task::Id, Uuid>,
}

impl Running {
    fn start(&mut self, state: &AppState, job: job::Model, shutdown: &watch::Receiver<bool>) {
        // A job whose lease ran out while this worker still runs it (its renewals failed for a
        // while) comes back to the worker that holds it: the task in hand goes on with it.
        if self.jobs.values().any(|id| *id == job.id) {
            tracing::warn!(job_id = %job.id, "claimed a job this worker is already running");
            return;
        }
        let id = job.id;
        let task = self
            .tasks
            .spawn(run_one(state.clone(), job, shutdown.clone()));
        self.jobs.insert(task.id(), id);
    }

    fn reap(&mut self) {
        while let Some(done) = self.tasks.try_join_next_with_id() {
            self.forget(done.map(|(id, ())| id).unwrap_or_else(|error| error.id()));
        }
    }

    /// Resolves when a job finishes (never, while none runs).
    async fn one_finished(&mut self) {
        match self.tasks.join_next_with_id().await {
            Some(done) => self.forget(done.map(|(id, ())| id).unwrap_or_else(|error| error.id())),
            None => std::future::pending().await,
        }
    }

    fn forget(&mut self, task: tokio::task::Id) {
        self.jobs.remove(&task);
    }
}

async fn run_one(state: AppState, job: job::Model, mut shutdown: watch::Receiver<bool>) {
    let id = job.id;
    tokio::select! {
        () = process(&state, job) => {}
        () = stopping(&mut shutdown) => {
            // Stopping: the job goes back to the queue at once rather than waiting for this worker
            // (a model call can take a while) or for its lease. Left anywhere, it resumes safely: a
            // recorded reply is reused, and one that may have reached Twilio is reconciled before
            // any resend.
            release(&state, id).await;
        }
    }
}

/// Claims up to `limit` ready jobs: queued and due, or running with an expired lease; never one
/// whose conversation has an earlier unfinished job (messages of a conversation are answered in
/// order, so a conversation has at most one job in hand anywhere). Ready jobs are taken in the
/// order of their turns, which keeps one workspace's flood from holding up the others (see
/// `conversations::turns`). The unfinished jobs are walked in that order through `idx_jobs_turns`
/// (its condition is repeated here, as SQLite uses a partial
/// index only for a query that names it) and each is checked through
/// `idx_jobs_pending_conversation`, so a claim stops once it has `limit` rather than reading every
/// ready job.
pub async fn claim(state: &AppState, limit: usize) -> Result<Vec<job::Model>, DbErr> {
    let db = &state.db;
    let statement = claim_statement(db.get_database_backend(), limit, Utc::now());
    let gate = crate::server::repo::write_gate(db).await;
    let claimed = job::Entity::find().from_raw_sql(statement).all(db).await?;
    drop(gate);
    Ok(claimed)
}

/// The statement of [`claim`] at `now`.
pub fn claim_statement(backend: DatabaseBackend, limit: usize, now: DateTime<Utc>) -> Statement {
    let lease_until = now + chrono::Duration::from_std(LEASE).unwrap_or_default();
    let (lock, p) = match backend {
        DatabaseBackend::Postgres => ("FOR UPDATE SKIP LOCKED", ["$1", "$2", "$3"]),
        _ => ("", ["?1", "?2", "?3"]),
    };
    let sql = format!(
        "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = {lease}, updated_at = {now} \
         WHERE id IN (\
           SELECT j.id FROM jobs j \
           WHERE j.state IN ('queued', 'running') AND j.run_at <= {now} \
             AND (j.state = 'queued' OR (j.state = 'running' AND j.lease_until < {now})) \
             AND NOT EXISTS (SELECT 1 FROM jobs e WHERE e.conversation_id = j.conversation_id \
                             AND e.created_at < j.created_at AND e.state IN ('queued', 'running')) \
           ORDER BY j.fair_key, j.created_at LIMIT {limit} {lock}\
         ) AND (state = 'queued' OR lease_until < {now2}) \
         RETURNING *",
        lease = p[0],
        now = p[1],
        now2 = p[2],
    );
    Statement::from_sql_and_values(backend, sql, [lease_until.into(), now.into(), now.into()])
}

/// Why a job did not finish.
enum Setback {
    /// Worth another try later.
    Retry(String),
    /// Worth another try, but no sooner than this (Twilio's `Retry-After`).
    RetryNoSooner(String, Duration),
    /// Will not get better; give up now.
    Fail(String),
}

async fn process(state: &AppState, claimed: job::Model) {
    // The conversation, its chatbot, the customer's opt-out and the connection's revision in one query.
    let context = match conversations::reply_context(
        &state.db,
        claimed.conversation_id,
        state.config.reply_budget,
    )
    .await
    {
        Ok(context) => context,
        Err(error) => {
            tracing::error!(tags.channel = "channels/sms", %error, job_id = %claimed.id, "could not load a job's conversation");
            let _ = finish(state, claimed.id, "queued", Some(error.to_string()), None).await;
            return;
        }
    };
    let conversation = context.as_ref().map(|c| &c.conversation);
    let outcome = match &context {
        Some(context) => {
            tokio::select! {
                outcome = answer(state, &claimed, context) => outcome,
                never = keep_lease(state, claimed.id) => match never {},
            }
        }
        None => Err(Setback::Fail("the conversation no longer exists".into())),
    };
    // Errors are tagged with the conversation's channel (Sentry's `channel` tag).
    let channel = conversation.map_or("channels/sms", channel_tag);
    let wait = match &outcome {
        Err(Setback::RetryNoSooner(_, wait)) => *wait,
        _ => Duration::ZERO,
    };
    let result = match outcome {
        Ok(note) => {
            tracing::info!(job_id = %claimed.id, note, "reply job done");
            metrics::job("done");
            finish(state, claimed.id, "done", None, None).await
        }
        Err(Setback::Retry(reason) | Setback::RetryNoSooner(reason, _))
            if claimed.attempts < MAX_ATTEMPTS =>
        {
            let delay = backoff(state.config.retry_base, claimed.attempts).max(wait);
            tracing::warn!(
                tags.channel = channel,
                job_id = %claimed.id,
                attempt = claimed.attempts,
                retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                %reason,
                "reply job will be retried"
            );
            metrics::job("retry");
            let run_at = Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default();
            finish(state, claimed.id, "queued", Some(reason), Some(run_at)).await
        }
        Err(Setback::Retry(reason) | Setback::RetryNoSooner(reason, _) | Setback::Fail(reason)) => {
            let scope = conversation.map_or_else(Scope::default, |c| {
                Scope::chatbot(c.workspace_id, c.chatbot_id)
            });
            signals::raise(
                Signal::JobGaveUp,
                channel,
                scope,
                &format_args!("job {}: {reason}", claimed.id),
            );
            metrics::job("failed");
            if let Some(conversation) = conversation
                && claimed.kind == conversations::JOB_REPLY
            {
                give_up_answering(state, conversation, claimed.message_id, &reason).await;
            }
            finish(state, claimed.id, "failed", Some(reason), None).await
        }
    };
    if let Err(error) = result {
        tracing::error!(tags.channel = channel, %error, job_id = %claimed.id, "could not record a job's outcome");
    }
    if let Some(conversation) = conversation {
        state
            .live
            .publish(conversation.workspace_id, Some(conversation.id));
    }
}

/// The Sentry `channel` tag of a conversation's errors.
fn channel_tag(conversation: &conversation::Model) -> &'static str {
    if conversation.channel == conversations::WEB {
        "channels/web"
    } else {
        "channels/sms"
    }
}

/// Resolves once `shutdown` turns true (never, if its sender is gone).
async fn stopping(shutdown: &mut watch::Receiver<bool>) {
    if shutdown.wait_for(|stop| *stop).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Puts a job this worker was running back in the queue, due now; the interrupted try does not
/// count against its attempts.
async fn release(state: &AppState, id: Uuid) {
    let release = job::Entity::update_many()
        .col_expr(job::Column::State, Expr::value("queued"))
        .col_expr(
            job::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(job::Column::Attempts, Expr::cust("attempts - 1"))
        .col_expr(job::Column::RunAt, Expr::value(Utc::now()))
        .col_expr(job::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::State.eq("running"))
        .build(state.writes.backend());
    let released = state.writes.run_statement(release).await;
    match released {
        Ok(_) => tracing::info!(job_id = %id, "stopping: the job in hand went back to the queue"),
        Err(error) => {
            tracing::error!(job_id = %id, %error, "stopping: could not release the job in hand; it resumes when its lease runs out");
        }
    }
}

/// Renews a running job's lease every [`RENEW_EVERY`], for as long as it is polled.
async fn keep_lease(state: &AppState, id: Uuid) -> std::convert::Infallible {
    loop {
        tokio::time::sleep(RENEW_EVERY).await;
        let until = Utc::now() + chrono::Duration::from_std(LEASE).unwrap_or_default();
        let renew = job::Entity::update_many()
            .col_expr(job::Column::LeaseUntil, Expr::value(until))
            .filter(job::Column::Id.eq(id))
            .filter(job::Column::State.eq("running"))
            .build(state.writes.backend());
        let renewed = state.writes.run_statement(renew).await;
        match renewed {
            Ok(1) => {}
            Ok(_) => tracing::warn!(job_id = %id, "a running job's lease could not be renewed"),
            Err(error) => {
                tracing::warn!(job_id = %id, %error, "a running job's lease could not be renewed");
            }
        }
    }
}

/// The bot could not answer a customer after every try (the model kept failing, say): rather than
/// leave them waiting, a person is asked for (the customer is told once, as on any escalation) and
/// the thread says why. When a person already has the conversation, only the note is added.
async fn give_up_answering(
    state: &AppState,
    conversation: &conversation::Model,
    inbound_id: Uuid,
    reason: &str,
) {
    let note = format!("The bot couldn't answer: {reason}. It stepped aside for a person.");
    // A reply that was written but could not be sent stays in the thread with its reason: the
    // person sees it there (and may retry it by hand); only a customer left with no answer is
    // handed to a person here.
    let escalated = match conversations::reply_to(&state.db, inbound_id).await {
        Ok(Some(_)) => Ok(false),
        Ok(None) => {
            conversations::escalate_by_bot(&state.db, conversation, inbound_id, &note).await
        }
        Err(error) => Err(error),
    };
    let noted = match escalated {
        Ok(true) => {
            state.live.jobs_queued();
            Ok(())
        }
        Ok(false) => conversations::add_event(
            &state.db,
            conversation.workspace_id,
            conversation.id,
            None,
            &format!("The bot couldn't answer: {reason}"),
        )
        .await
        .map(|_| ()),
        Err(error) => Err(error),
    };
    if let Err(error) = noted {
        tracing::error!(%error, "could not note a failed reply in the thread");
    }
}

/// Exponential backoff with ±25 % jitter, so retries from many jobs do not arrive together.
pub fn backoff(base: Duration, attempt: i32) -> Duration {
    let exponent = u32::try_from(attempt.saturating_sub(1))
        .unwrap_or(0)
        .min(16);
    let raw = base
        .saturating_mul(2u32.saturating_pow(exponent))
        .min(MAX_BACKOFF);
    let jitter = rand::random_range(0.75..1.25);
    raw.mul_f64(jitter)
}

async fn finish(
    state: &AppState,
    id: Uuid,
    to_state: &str,
    error: Option<String>,
    run_at: Option<DateTime<Utc>>,
) -> Result<(), DbErr> {
    let mut update = job::Entity::update_many()
        .col_expr(job::Column::State, Expr::value(to_state))
        .col_expr(
            job::Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(job::Column::UpdatedAt, Expr::value(Utc::now()));
    if let Some(error) = error {
        update = update.col_expr(job::Column::LastError, Expr::value(error));
    }
    if let Some(run_at) = run_at {
        update = update.col_expr(job::Column::RunAt, Expr::value(run_at));
    }
    let update = update
        .filter(job::Column::Id.eq(id))
        .build(state.writes.backend());
    state.writes.run_statement(update).await.map(|_| ())
}

impl From<DbErr> for Setback {
    fn from(error: DbErr) -> Self {
        Setback::Retry(format!("database: {error}"))
    }
}

/// Does a job's work. `Ok` carries a note on what happened.
async fn answer(
    state: &AppState,
    claimed: &job::Model,
    context: &ReplyContext,
) -> Result<&'static str, Setback> {
    match claimed.kind.as_str() {
        conversations::JOB_REPLY => answer_inbound(state, claimed, context).await,
        conversations::JOB_SEND => send_recorded(state, claimed, context).await,
        other => Err(Setback::Fail(format!("unknown job kind {other:?}"))),
    }
}

/// Where a conversation's texts go: the business's connection and number, and the customer's.
struct Route {
    connection: Arc<sms::SmsConnection>,
    from: E164,
    to: E164,
}

/// The route of an SMS conversation, if SMS is still connected for its chatbot: the connection is
/// this instance's copy in memory (its Auth Token already decrypted) while it has the id and
/// revision the job's context read; a stale copy is dropped and the connection read again.
async fn route(state: &AppState, context: &ReplyContext) -> Result<Route, Setback> {
    let conversation = &context.conversation;
    let Some(from) = conversation
        .business_number
        .as_deref()
        .and_then(|n| E164::parse(n).ok())
    else {
        return Err(Setback::Fail(
            "the conversation has no business number".into(),
        ));
    };
    let to = E164::parse(&conversation.customer_address)
        .map_err(|_| Setback::Fail("the customer's number is not E.164".into()))?;
    let Some((id, revision)) = context.connection else {
        return Err(Setback::Fail(DISCONNECTED.into()));
    };
    let current = |c: &sms::SmsConnection| {
        c.id == id && c.revision == revision && c.chatbot_id == conversation.chatbot_id
    };
    for _ in 0..2 {
        match state
            .connections
            .find(&state.db, &state.keyring, &from)
            .await
        {
            Ok(Some(connection)) if current(&connection) => {
                return Ok(Route {
                    connection,
                    from,
                    to,
                });
            }
            Ok(None) => return Err(Setback::Fail(DISCONNECTED.into())),
            // A copy older than the row (or a row newer than the context): read it again.
            Ok(Some(_)) => state.connections.forget(&from),
            Err(error) => {
                return Err(Setback::Retry(format!(
                    "loading the SMS connection: {error}"
                )));
            }
        }
    }
    // Changed while this job looked twice: it was disconnected or reconnected just now; the job's
    // context is stale, so try again later.
    Err(Setback::Retry(
        "the SMS connection changed while the reply was being sent".into(),
    ))
}

const DISCONNECTED: &str = "SMS was disconnected before the reply could be sent";

fn is_silenced(conversation: &conversation::Model) -> bool {
    conversation
        .status
        .parse::<ConversationStatus>()
        .is_ok_and(ConversationStatus::silences_bot)
}

/// The window of the reply budget: at most `VIESTI_REPLY_BUDGET` (default 5) bot replies by SMS in
/// a conversation within it, then the bot pauses for a person (SMS costs money per segment; a
/// customer or a machine texting in a loop costs it fast).
pub const REPLY_WINDOW: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

/// Why the bot does not answer a text, checked when it would answer (not earlier: the plan or the
/// conversation may have changed since the text came in).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hold {
    /// The workspace's plan no longer includes SMS.
    Plan,
    /// The text came from one of the workspace's own connected numbers.
    OwnNumber,
    /// The text reads like an automatic reply.
    Automatic,
    /// The bot already sent its budget of replies within [`REPLY_WINDOW`].
    Budget,
    /// The workspace sent its daily budget of SMS segments.
    DailyBudget,
}

impl Hold {
    fn of(context: &ReplyContext, inbound: &message::Model, now: DateTime<Utc>) -> Option<Self> {
        if !context.plan.is_some_and(Plan::allows_integrations) {
            Some(Self::Plan)
        } else if context.own_number {
            Some(Self::OwnNumber)
        } else if context.segments_today >= context.daily_segment_budget {
            Some(Self::DailyBudget)
        } else if looks_automatic(&inbound.body) {
            Some(Self::Automatic)
        } else if context
            .budget_reply_at
            .is_some_and(|at| at > now - REPLY_WINDOW)
        {
            Some(Self::Budget)
        } else {
            None
        }
    }

    fn note(self) -> &'static str {
        match self {
            Self::Plan => {
                "Not answered: this workspace's plan no longer includes SMS (Starter and above). The text is kept here; upgrade to have the bot answer again."
            }
            Self::OwnNumber => {
                "Not answered: this text came from one of this workspace's own Twilio numbers, and answering it could start two bots texting each other."
            }
            Self::Automatic => {
                "Not answered: this text looks like an automatic reply, and answering it could start a loop of automatic texts."
            }
            Self::DailyBudget => {
                "Not answered: this workspace has sent its daily budget of SMS segments. The bot answers texts again after midnight UTC, or when an owner raises the budget on the SMS settings page."
            }
            Self::Budget => {
                "The bot paused: it had already sent as many replies as it may in 10 minutes in this conversation (the reply budget). A person should take it from here."
            }
        }
    }

    /// Says so in the thread; over budget, the conversation also goes to a person (the customer is
    /// told once, as on any escalation).
    async fn record(
        self,
        state: &AppState,
        conversation: &conversation::Model,
        inbound_id: Uuid,
    ) -> Result<(), DbErr> {
        if self == Self::Budget
            && conversations::escalate_by_bot(&state.db, conversation, inbound_id, self.note())
                .await?
        {
            state.live.jobs_queued();
            return Ok(());
        }
        conversations::add_event(
            &state.db,
            conversation.workspace_id,
            conversation.id,
            None,
            self.note(),
        )
        .await
        .map(|_| ())
    }
}

/// Answers a customer's message with the bot: asks the agent, records the reply, sends it.
async fn answer_inbound(
    state: &AppState,
    claimed: &job::Model,
    context: &ReplyContext,
) -> Result<&'static str, Setback> {
    let db = &state.db;
    let conversation = &context.conversation;
    let (Some(inbound), reply) = conversations::message_and_reply(db, claimed.message_id).await?
    else {
        return Err(Setback::Fail(
            "the message to answer no longer exists".into(),
        ));
    };
    if reply.is_none() && is_silenced(conversation) {
        return Ok("a person has the conversation; the bot stays quiet");
    }
    if reply.is_none()
        && Channel::of(&conversation.channel) == Channel::Sms
        && let Some(hold) = Hold::of(context, &inbound, Utc::now())
    {
        hold.record(state, conversation, inbound.id).await?;
        return Ok(hold.note());
    }
    let route = match Channel::of(&conversation.channel) {
        Channel::Sms => {
            let route = route(state, context).await?;
            if context.opted_out {
                return Ok("the customer opted out; no reply");
            }
            Some(route)
        }
        Channel::Web => None,
    };
    // A reply recorded by an earlier try goes through the checks again (it may have been sent);
    // a new one is recorded and claimed for sending in one transaction.
    let (reply, claimed) = match reply {
        Some(reply) => (reply, false),
        None => {
            let text = if inbound.body.trim().is_empty() && inbound.attachments_dropped > 0 {
                PICTURES_NOT_SUPPORTED.to_owned()
            } else {
                let Some(chatbot) = &context.chatbot else {
                    return Err(Setback::Fail("the chatbot no longer exists".into()));
                };
                match agent::respond(state, chatbot, &inbound, Channel::of(&conversation.channel))
                    .await
                {
                    Ok(Outcome::Reply(text)) => text,
                    Ok(Outcome::Escalate(why)) => {
                        if conversations::escalate_by_bot(db, conversation, inbound.id, why.note())
                            .await?
                        {
                            state.live.jobs_queued();
                        }
                        return Ok("the bot stepped aside for a person");
                    }
                    Err(AgentError::Model(error)) => {
                        signals::raise(
                            Signal::ModelFailed,
                            channel_tag(conversation),
                            Scope::chatbot(conversation.workspace_id, conversation.chatbot_id),
                            &error,
                        );
                        return Err(Setback::Retry(error.to_string()));
                    }
                    Err(AgentError::Db(error)) => return Err(error.into()),
                }
            };
            match conversations::record_reply(
                &state.writes,
                conversation,
                inbound.id,
                &fit(&text, MAX_BODY_CHARS),
            )
            .await
            {
                Ok((reply, true)) => (reply, true),
                Ok((reply, false)) => {
                    cancel_for_take_over(state, conversation, reply.id).await?;
                    return Ok("a person took over; the bot's reply was not sent");
                }
                // Another worker recorded this reply first (unique in_reply_to): look at it next try.
                Err(error) if crate::server::repo::is_unique_violation(&error) => {
                    return Err(Setback::Retry(
                        "another worker is answering this message".into(),
                    ));
                }
                Err(error) => return Err(error.into()),
            }
        }
    };
    match (route, claimed) {
        (Some(route), true) => send_now(state, conversation, &route, &reply).await,
        (Some(route), false) => deliver(state, conversation, &route, &reply, true).await,
        (None, true) => {
            conversations::record_delivered(&state.writes, reply.id).await?;
            Ok("delivered to the visitor")
        }
        (None, false) => deliver_to_visitor(state, conversation, &reply, true).await,
    }
}

/// The thread's note on a text a person queued after the workspace's plan lost SMS.
const NOT_SENT_PLAN: &str = "Not sent: this workspace's plan no longer includes SMS (Starter and above). Upgrade the plan, then send it again.";

/// Sends an outbound message recorded before its job (a teammate's reply, a notice, a retry).
async fn send_recorded(
    state: &AppState,
    claimed: &job::Model,
    context: &ReplyContext,
) -> Result<&'static str, Setback> {
    let db = &state.db;
    let conversation = &context.conversation;
    let Some(outbound) = message::Entity::find_by_id(claimed.message_id)
        .one(db)
        .await?
    else {
        return Err(Setback::Fail("the message to send no longer exists".into()));
    };
    if Channel::of(&conversation.channel) == Channel::Web {
        return deliver_to_visitor(state, conversation, &outbound, false).await;
    }
    // Checked at the moment of sending: the plan may have changed since the text was queued. One
    // that may already have reached Twilio (`sending`) is looked up as usual instead.
    if !context.plan.is_some_and(Plan::allows_integrations) && outbound.status == "pending" {
        conversations::record_unsent(&state.writes, outbound.id, "canceled", None, None).await?;
        conversations::add_event(
            db,
            conversation.workspace_id,
            conversation.id,
            None,
            NOT_SENT_PLAN,
        )
        .await?;
        return Ok("the plan no longer includes SMS; not sent");
    }
    let route = route(state, context).await?;
    if context.opted_out {
        conversations::record_unsent(&state.writes, outbound.id, "failed", Some(OPTED_OUT), None)
            .await?;
        return Ok("the customer opted out; not sent");
    }
    deliver(state, conversation, &route, &outbound, false).await
}

/// Hands a recorded outbound message to a website visitor: it is theirs to read once marked
/// delivered (the widget fetches it, woken by the live event). The bot's replies go through the
/// same take-over check at the moment of delivery as SMS ones.
async fn deliver_to_visitor(
    state: &AppState,
    conversation: &conversation::Model,
    reply: &message::Model,
    automatic: bool,
) -> Result<&'static str, Setback> {
    if !matches!(reply.status.as_str(), "pending" | "sending") {
        return Ok("already handled");
    }
    if !conversations::claim_send(&state.writes, reply.id, automatic).await? {
        if automatic {
            cancel_for_take_over(state, conversation, reply.id).await?;
            return Ok("a person took over; the bot's reply was not sent");
        }
        return Ok("already handled");
    }
    conversations::record_delivered(&state.writes, reply.id).await?;
    Ok("delivered to the visitor")
}

/// A bot reply that lost the race with a take-over: marked never sent, and the thread says so.
/// Nothing happens when the reply was handled meanwhile.
async fn cancel_for_take_over(
    state: &AppState,
    conversation: &conversation::Model,
    reply_id: Uuid,
) -> Result<(), DbErr> {
    let db = &state.db;
    let now = message::Entity::find_by_id(reply_id).one(db).await?;
    if now.as_ref().is_some_and(|m| {
        m.twilio_sid.is_none() && matches!(m.status.as_str(), "pending" | "sending")
    }) {
        conversations::record_unsent(&state.writes, reply_id, "canceled", None, None).await?;
        conversations::add_event(
            db,
            conversation.workspace_id,
            conversation.id,
            None,
            "The bot's reply was not sent: a person took over the conversation first.",
        )
        .await?;
    }
    Ok(())
}

/// Twilio's code for a customer who replied STOP.
const OPTED_OUT: i32 = 21610;

/// Sends a recorded outbound message through Twilio once: an earlier attempt that may have reached
/// Twilio is looked up first, and the bot's own replies (`automatic`) are re-checked against a
/// take-over at the moment of sending.
async fn deliver(
    state: &AppState,
    conversation: &conversation::Model,
    route: &Route,
    reply: &message::Model,
    automatic: bool,
) -> Result<&'static str, Setback> {
    if reply.twilio_sid.is_some() {
        return Ok("already sent");
    }
    if !matches!(reply.status.as_str(), "pending" | "sending") {
        return Ok("already given up");
    }
    // An earlier attempt may have reached Twilio without us hearing back: ask before resending.
    if reply.status == "sending"
        && reconcile(
            state,
            &route.connection.credentials,
            &route.from,
            &route.to,
            reply,
        )
        .await?
    {
        return Ok("an earlier attempt had gone through");
    }
    if !conversations::claim_send(&state.writes, reply.id, automatic).await? {
        if automatic {
            cancel_for_take_over(state, conversation, reply.id).await?;
            return Ok("a person took over; the bot's reply was not sent");
        }
        return Ok("already handled");
    }

    send_now(state, conversation, route, reply).await
}

/// Sends an outbound message this job has just claimed for sending (see
/// [`conversations::claim_send`]) through Twilio, and records what Twilio said.
async fn send_now(
    state: &AppState,
    conversation: &conversation::Model,
    route: &Route,
    reply: &message::Model,
) -> Result<&'static str, Setback> {
    let db = &state.db;
    let callback = state.config.public_url(STATUS_CALLBACK_PATH);
    let started = std::time::Instant::now();
    let sent = state
        .twilio
        .create_message(
            &route.connection.credentials,
            &route.from,
            &route.to,
            &reply.body,
            &callback,
        )
        .await;
    metrics::send_latency(started.elapsed().as_secs_f64());
    match sent {
        Ok(sent) => {
            conversations::record_sent(&state.writes, reply, &sent.sid, &sent.status).await?;
            Ok("sent")
        }
        // Whether Twilio took it is unknown (but for a refused connection): the next try looks
        // for it at Twilio before sending again (see `deliver`).
        Err(error) if error.is_transient() => {
            let reason = format!("sending: {error}");
            Err(match error.retry_after() {
                Some(wait) => Setback::RetryNoSooner(reason, wait),
                None => Setback::Retry(reason),
            })
        }
        Err(error) => {
            let code = error.code().and_then(|c| i32::try_from(c).ok());
            conversations::record_unsent(
                &state.writes,
                reply.id,
                "failed",
                code,
                error.more_info(),
            )
            .await?;
            if code == Some(OPTED_OUT) {
                conversations::mark_opted_out(
                    db,
                    conversation.workspace_id,
                    route.from.as_str(),
                    route.to.as_str(),
                )
                .await?;
            }
            let reason = match (&error, code) {
                (TwilioError::Api { .. }, Some(code)) => failure_reason(i64::from(code)).to_owned(),
                _ => error.to_string(),
            };
            Err(Setback::Fail(reason))
        }
    }
}

/// Looks for an earlier attempt of `reply` at Twilio; if found, records its SID and returns true.
/// It is looked for among the messages Twilio *created* since shortly before the reply was
/// written, so one still queued at Twilio (not sent yet, no `date_sent`) is found too.
async fn reconcile(
    state: &AppState,
    credentials: &sms::Credentials,
    from: &E164,
    to: &E164,
    reply: &message::Model,
) -> Result<bool, Setback> {
    let since = reply.created_at - chrono::Duration::minutes(1);
    let sent = state
        .twilio
        .messages_created_since(credentials, from, to, since)
        .await
        .map_err(|e| Setback::Retry(format!("checking an earlier attempt with Twilio: {e}")))?;
    for candidate in sent {
        if candidate.body.as_deref() != Some(reply.body.as_str()) {
            continue;
        }
        if conversations::sid_is_known(&state.db, &candidate.sid).await? {
            continue;
        }
        conversations::record_sent(&state.writes, reply, &candidate.sid, &candidate.status).await?;
        tracing::info!(message_id = %reply.id, "an earlier send had reached Twilio; not resending");
        return Ok(true);
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let base = Duration::from_secs(2);
        for (attempt, nominal) in [(1, 2.0), (2, 4.0), (3, 8.0), (4, 16.0)] {
            let delay = backoff(base, attempt).as_secs_f64();
            assert!(
                (nominal * 0.75..=nominal * 1.25).contains(&delay),
                "attempt {attempt}: {delay}"
            );
        }
        assert!(backoff(base, 30) <= MAX_BACKOFF.mul_f64(1.25));
    }
}
