//! Knowledge-base retrieval over 10,000 passages, on SQLite and on PostgreSQL:
//! `cargo bench --bench retrieval` (both), `cargo bench --bench retrieval -- sqlite` or `-- postgres`
//! (one).
//!
//! For each backend: migrates a fresh database (the app's own `connect_url`, so the same pool and
//! SQLite pragmas as `viesti serve`), creates a workspace, a chatbot and one English knowledge base
//! linked to it, then uploads variations of the 20 help-centre articles in `eval/articles` (another
//! brand, product, store and supplier per copy, some numbers changed, a product note in every
//! section: the vocabulary grows as a real help centre's does) through `knowledge::add_file`, and
//! reads them into passages with `ingest::drain`, 20 documents at a time, until the base holds at
//! least 10,000 passages. After gathering statistics it reconnects (fresh connections, as after a
//! deploy) and times `retrieve::retrieve` for the chatbot's bases as `agent::respond` calls it (top 4
//! passages) with every question of `eval/questions.toml` in turn: 20 warm-up calls, then 4 rounds of
//! all questions, one call after another. Prints p50 / p99 / max against the 10 ms p99 target, the
//! slowest questions. Exits
//! non-zero only when a call fails (a missed target is a result, not an error). `VIESTI_BENCH_KEEP=1`
//! keeps the seeded database (and says where it is) for `EXPLAIN`.
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use sea_orm::{ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, DbErr, Statement};
use serde::Deserialize;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use uuid::Uuid;
use viesti::domain::knowledge::{KnowledgeBaseName, Language};
use viesti::domain::{ChatbotName, Email, Plan, SystemPrompt, WorkspaceName};
use viesti::server::knowledge::retrieve::{Hit, retrieve};
use viesti::server::knowledge::{add_file, ingest};
use viesti::server::repo::knowledge::{self as repo, SearchBase};
use viesti::server::repo::{accounts, chatbots};
use viesti::server::startup::connect_url;

/// The base holds at least this many passages before anything is timed.
const PASSAGES: i64 = 10_000;
/// Passages `agent::respond` asks for.
const LIMIT: usize = 4;
const WARM_UP: usize = 20;
/// Timed rounds over all the questions (132 questions: 528 calls).
const ROUNDS: usize = 4;
const MIN_SAMPLES: usize = 500;
const TARGET: Duration = Duration::from_millis(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn arg(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Self::Sqlite => "SQLite (WAL)",
            Self::Postgres => "PostgreSQL",
        }
    }
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; a bare word picks a backend.
    let words: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let backends: Vec<Backend> = [Backend::Sqlite, Backend::Postgres]
        .into_iter()
        .filter(|b| words.is_empty() || words.iter().any(|w| w == b.arg()))
        .collect();
    if backends.is_empty() {
        eprintln!("usage: cargo bench --bench retrieval [-- sqlite | postgres]");
        std::process::exit(2);
    }
    let mut failed = false;
    for backend in backends {
        let scratch = Scratch::new(backend).await;
        println!("\n== {} ==", backend.title());
        // A panic (a failed call) ends this task, not the cleanup below.
        let outcome = tokio::spawn(bench(backend, scratch.url.clone())).await;
        scratch.remove().await;
        match outcome {
            Ok(report) => report.print(),
            Err(error) => {
                eprintln!("{}: the bench failed: {error}", backend.title());
                failed = true;
            }
        }
    }
    if failed {
        std::process::exit(1);
    }
}

/// The database of one run: a SQLite file in a temp dir, or a PostgreSQL database of its own.
struct Scratch {
    url: String,
    dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

impl Scratch {
    async fn new(backend: Backend) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("viesti-bench-retrieval-")
            .tempdir()
            .expect("temp dir");
        match backend {
            Backend::Sqlite => Self {
                url: format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("bench.db").display()
                ),
                dir,
                postgres: None,
            },
            Backend::Postgres => {
                let admin_url = std::env::var("VIESTI_TEST_POSTGRES_URL")
                    .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
                let name = format!("viesti_bench_{}", Uuid::new_v4().simple());
                let admin = Database::connect(&admin_url)
                    .await
                    .expect("PostgreSQL must run on 127.0.0.1:5432 (see README)");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create the bench database");
                let (base, _) = admin_url.rsplit_once('/').expect("url has a database");
                Self {
                    url: format!("{base}/{name}"),
                    dir,
                    postgres: Some((admin_url, name)),
                }
            }
        }
    }

    async fn remove(self) {
        if std::env::var("VIESTI_BENCH_KEEP").is_ok_and(|v| v == "1") {
            println!(
                "kept: {} (data dir {})",
                self.url,
                self.dir.keep().display()
            );
            return;
        }
        if let Some((admin_url, name)) = &self.postgres {
            let admin = Database::connect(admin_url).await.expect("admin database");
            // FORCE: a failed run's pool may still be open.
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await
                .expect("drop the bench database");
        }
        // Dropping `dir` removes it.
    }
}

#[derive(Deserialize)]
struct Questions {
    question: Vec<Question>,
}

#[derive(Deserialize)]
struct Question {
    text: String,
    heading: Option<String>,
    #[serde(default = "yes")]
    answerable: bool,
}

fn yes() -> bool {
    true
}

fn eval_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("eval")
}

/// The eval articles, by file name, in name order.
fn articles() -> Vec<(String, String)> {
    let mut articles: Vec<(String, String)> = std::fs::read_dir(eval_dir().join("articles"))
        .expect("eval/articles")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .map(|path| {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .expect("a file name")
                .to_owned();
            (name, std::fs::read_to_string(&path).expect("an article"))
        })
        .collect();
    articles.sort();
    assert_eq!(articles.len(), 20, "the eval corpus has 20 articles");
    articles
}

fn questions() -> Vec<Question> {
    let text =
        std::fs::read_to_string(eval_dir().join("questions.toml")).expect("eval/questions.toml");
    toml::from_str::<Questions>(&text)
        .expect("questions.toml")
        .question
}

/// Everything a run learned, for the table.
struct Report {
    backend: Backend,
    passages: i64,
    documents: usize,
    terms: usize,
    average_chars: i64,
    adding: Duration,
    ingesting: Duration,
    seeding: Duration,
    cold: Duration,
    questions: usize,
    samples: usize,
    retrieve: Stats,
    no_hits: usize,
    found: (usize, usize),
    /// Median time, the question and the terms it was searched for.
    slowest: Vec<(Duration, String, Vec<String>)>,
}

#[derive(Debug, Clone, Copy)]
struct Stats {
    p50: Duration,
    p99: Duration,
    max: Duration,
}

impl Stats {
    fn of(mut samples: Vec<Duration>) -> Self {
        samples.sort();
        let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
        Self {
            p50: at(0.50),
            p99: at(0.99),
            max: samples[samples.len() - 1],
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

impl Report {
    fn print(&self) {
        println!(
            "\n{} — {} passages in {} documents ({} distinct terms, {} characters a passage on \
             average), seeded in {:.1} s (adding {:.1} s, ingest {:.1} s, statistics {:.1} s)",
            self.backend.title(),
            thousands(self.passages as usize),
            thousands(self.documents),
            thousands(self.terms),
            self.average_chars,
            self.seeding.as_secs_f64(),
            self.adding.as_secs_f64(),
            self.ingesting.as_secs_f64(),
            (self.seeding - self.adding - self.ingesting).as_secs_f64()
        );
        println!(
            "{} sequential calls ({} questions × {ROUNDS}) after {WARM_UP} warm-up, top {LIMIT} \
             passages each",
            self.samples, self.questions
        );
        println!(
            "{:<46} {:>8} {:>8} {:>8}   target p99 ≤ {} ms",
            "case",
            "p50 ms",
            "p99 ms",
            "max ms",
            TARGET.as_millis()
        );
        println!(
            "{:<46} {:>8.2} {:>8.2} {:>8.2}   {}",
            "retrieve (question → passages)",
            ms(self.retrieve.p50),
            ms(self.retrieve.p99),
            ms(self.retrieve.max),
            if self.retrieve.p99 <= TARGET {
                "met"
            } else {
                "MISSED"
            }
        );
        println!(
            "first call after ingest (reads the base's terms and builds its index in memory): {:.1} ms",
            ms(self.cold)
        );
        println!(
            "questions without a passage: {}; the expected section among the top {LIMIT} for {} of \
             {} answerable questions (some copy of it)",
            self.no_hits, self.found.0, self.found.1
        );
        println!("slowest questions (median of {ROUNDS} calls):");
        for (median, text, terms) in &self.slowest {
            println!(
                "  {:>7.2} ms  {text:?} → {} terms: {}",
                ms(*median),
                terms.len(),
                terms.join(" ")
            );
        }
    }
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

async fn count(db: &DatabaseConnection, sql: &str) -> Result<i64, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(sql.to_owned()))?;
    row.try_get_by_index(0)
}

/// What the seeding made.
struct Seeded {
    workspace: Uuid,
    chatbot: Uuid,
    base: Uuid,
    documents: usize,
    adding: Duration,
    ingesting: Duration,
    took: Duration,
}

async fn seed(db: &DatabaseConnection) -> Seeded {
    let started = Instant::now();
    let owner = accounts::create_workspace_with_owner(
        db,
        &WorkspaceName::parse("Bench Cycles Oy").expect("name"),
        &Email::parse("owner@bench.example.com").expect("email"),
        // Nobody signs in: a hash is never checked.
        "bench: no sign-in".to_owned(),
        Plan::Pro,
    )
    .await
    .expect("workspace");
    let workspace = owner.workspace_id;
    let chatbot = chatbots::create(
        db,
        workspace,
        &ChatbotName::parse("Help desk").expect("name"),
        &SystemPrompt::parse("You answer customers of a bike shop from its help centre.")
            .expect("prompt"),
    )
    .await
    .expect("chatbot");
    let base = repo::create_base(
        db,
        workspace,
        &KnowledgeBaseName::parse("Help centre").expect("name"),
        Language::English,
    )
    .await
    .expect("base");
    assert!(
        repo::set_chatbot_bases(db, workspace, chatbot.id, &[base.id])
            .await
            .expect("link"),
        "the base is linked to the chatbot"
    );

    let articles = articles();
    let mut rng = StdRng::seed_from_u64(20_261_201);
    let (mut adding, mut ingesting) = (Duration::ZERO, Duration::ZERO);
    let mut documents = 0;
    let mut copy = 0;
    println!(
        "uploading copies of the {} eval articles until the base holds {} passages…",
        articles.len(),
        thousands(PASSAGES as usize)
    );
    loop {
        let at = Instant::now();
        for (name, text) in &articles {
            let (file_name, content) = variant(name, text, copy, &mut rng);
            add_file(db, workspace, base.id, &file_name, None, content.as_bytes())
                .await
                .expect("document added");
            documents += 1;
        }
        adding += at.elapsed();
        let at = Instant::now();
        let drained = ingest::drain(db).await.expect("ingest");
        assert_eq!(drained, articles.len(), "every document read");
        ingesting += at.elapsed();
        copy += 1;
        let passages = count(db, "SELECT COUNT(*) FROM passages")
            .await
            .expect("count");
        if copy % 20 == 0 || passages >= PASSAGES {
            println!(
                "  {:>5} documents, {:>6} passages  ({:.1} s)",
                thousands(documents),
                thousands(passages as usize),
                started.elapsed().as_secs_f64()
            );
        }
        if passages >= PASSAGES {
            break;
        }
    }
    let failed = count(db, "SELECT COUNT(*) FROM documents WHERE state <> 'ready'")
        .await
        .expect("count");
    assert_eq!(failed, 0, "every document is ready");

    // As in the inbox bench: a production PostgreSQL would have vacuumed and analyzed after this
    // many inserts (this server runs without autovacuum).
    if db.get_database_backend() == DatabaseBackend::Postgres {
        db.execute_unprepared("VACUUM (ANALYZE)")
            .await
            .expect("vacuum");
    } else {
        db.execute_unprepared("ANALYZE").await.expect("analyze");
        db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await
            .expect("checkpoint");
    }
    Seeded {
        workspace,
        chatbot: chatbot.id,
        base: base.id,
        documents,
        adding,
        ingesting,
        took: started.elapsed(),
    }
}

async fn bench(backend: Backend, url: String) -> Report {
    let db = connect_url(&url).await.expect("connect and migrate");
    let seeded = seed(&db).await;
    let passages = count(&db, "SELECT COUNT(*) FROM passages")
        .await
        .expect("count");
    assert!(
        passages >= PASSAGES,
        "{passages} passages, at least {PASSAGES} wanted"
    );
    let chars = count(&db, "SELECT SUM(LENGTH(body)) FROM passages")
        .await
        .expect("sum");
    let terms: HashSet<String> = repo::terms_of_base(&db, seeded.base)
        .await
        .expect("terms")
        .iter()
        .flat_map(|t| {
            t.heading_terms
                .split_whitespace()
                .chain(t.body_terms.split_whitespace())
        })
        .map(str::to_owned)
        .collect();
    println!(
        "{} passages; {} distinct terms",
        thousands(passages as usize),
        thousands(terms.len())
    );
    db.close().await.expect("close");

    // Fresh connections, as after a deploy; the chatbot's bases as the agent finds them.
    let db = connect_url(&url).await.expect("reconnect");
    let bases: Vec<SearchBase> = repo::bases_of_chatbot(&db, seeded.workspace, seeded.chatbot)
        .await
        .expect("bases")
        .iter()
        .map(SearchBase::from)
        .collect();
    assert_eq!(bases.len(), 1, "one base");

    let questions = questions();
    let n = questions.len();
    let samples = ROUNDS * n;
    assert!(samples >= MIN_SAMPLES, "{samples} samples");

    let mut cold = Duration::ZERO;
    let mut timed: Vec<(usize, Duration)> = Vec::with_capacity(samples);
    // The terms each question was searched for, shown beside the slowest questions.
    let mut terms_of: Vec<Option<Vec<String>>> = vec![None; n];
    let mut no_hits = HashSet::new();
    let mut found = (0, 0);
    for i in 0..WARM_UP + samples {
        let q = i % n;
        let question = &questions[q];
        let started = Instant::now();
        let hits = retrieve(&db, &bases, &question.text, LIMIT)
            .await
            .unwrap_or_else(|e| panic!("retrieve {:?}: {e}", question.text));
        let elapsed = started.elapsed();
        if i == 0 {
            cold = elapsed;
        }
        if i >= WARM_UP {
            timed.push((q, elapsed));
        }
        if terms_of[q].is_none() {
            terms_of[q] = Some(hits.first().map_or_else(Vec::new, |h| h.query.terms()));
            if hits.is_empty() {
                no_hits.insert(q);
            }
            if question.answerable
                && let Some(heading) = &question.heading
            {
                found.1 += 1;
                if hits.iter().any(|h| is_section(h, heading)) {
                    found.0 += 1;
                }
            }
        }
    }

    let mut by_question: Vec<Vec<Duration>> = vec![Vec::new(); n];
    for (q, elapsed) in &timed {
        by_question[*q].push(*elapsed);
    }
    let mut slowest: Vec<(Duration, String, Vec<String>)> = by_question
        .iter_mut()
        .enumerate()
        .map(|(q, times)| {
            times.sort();
            (
                times[times.len() / 2],
                questions[q].text.clone(),
                terms_of[q].clone().unwrap_or_default(),
            )
        })
        .collect();
    slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
    slowest.truncate(5);
    db.close().await.expect("close");

    Report {
        backend,
        passages,
        documents: seeded.documents,
        terms: terms.len(),
        average_chars: chars / passages.max(1),
        adding: seeded.adding,
        ingesting: seeded.ingesting,
        seeding: seeded.took,
        cold,
        questions: n,
        samples,
        retrieve: Stats::of(timed.into_iter().map(|(_, d)| d).collect()),
        no_hits: no_hits.len(),
        found,
        slowest,
    }
}

fn is_section(hit: &Hit, heading: &str) -> bool {
    hit.passage.heading == heading || hit.passage.heading.ends_with(&format!("› {heading}"))
}

// The corpus: copies of the eval articles as a bigger shop's help centre would hold them, one per
// brand and model. Each copy names its own product, store, supplier and people, changes some
// numbers and ends every section with a note about its product; the section headings stay, so the
// questions still have their answers.

const BRANDS: &[&str] = &[
    "Kuura", "Halla", "Routa", "Kaamos", "Lumo", "Virta", "Kelo", "Vire", "Usva", "Sarastus",
    "Tuisku", "Hehku", "Kajo", "Aava", "Ruska", "Nietos", "Helle", "Viima", "Paiste", "Tyyni",
    "Kide", "Loiste", "Sointu", "Ilta",
];

const CATEGORIES: &[&str] = &[
    "city",
    "cargo",
    "trekking",
    "mountain",
    "folding",
    "gravel",
    "fat",
    "commuter",
    "touring",
    "step-through",
    "long-tail",
    "kids'",
    "hybrid",
    "road",
];

const PARTS: &[&str] = &[
    "motor",
    "display",
    "battery",
    "charger",
    "brake lever",
    "chain",
    "cassette",
    "derailleur",
    "hub",
    "saddle",
    "kickstand",
    "mudguard",
    "headlight",
    "frame lock",
    "rear rack",
    "tyre",
    "rim",
    "pedal",
    "crank",
    "suspension fork",
    "belt drive",
    "controller",
    "throttle",
    "torque sensor",
];

const CITIES: &[&str] = &[
    "Helsinki",
    "Espoo",
    "Vantaa",
    "Tampere",
    "Turku",
    "Oulu",
    "Jyväskylä",
    "Lahti",
    "Kuopio",
    "Pori",
    "Joensuu",
    "Lappeenranta",
    "Hämeenlinna",
    "Vaasa",
    "Seinäjoki",
    "Rovaniemi",
    "Mikkeli",
    "Kotka",
    "Salo",
    "Porvoo",
    "Kokkola",
    "Hyvinkää",
    "Lohja",
    "Järvenpää",
    "Rauma",
    "Kajaani",
    "Kerava",
    "Savonlinna",
    "Nokia",
    "Kangasala",
    "Riihimäki",
    "Imatra",
    "Raisio",
    "Kirkkonummi",
    "Tornio",
    "Iisalmi",
    "Kemi",
    "Valkeakoski",
    "Kuusamo",
    "Hanko",
    "Loviisa",
    "Naantali",
    "Raahe",
    "Forssa",
    "Heinola",
];

const FIRST_NAMES: &[&str] = &[
    "Aino", "Mikko", "Laura", "Juha", "Emma", "Antti", "Sofia", "Ville", "Helmi", "Eero", "Noora",
    "Tuomas", "Iida", "Joonas", "Elina", "Sami", "Venla", "Petri", "Oona", "Lauri",
];

const LAST_NAMES: &[&str] = &[
    "Virtanen",
    "Korhonen",
    "Nieminen",
    "Mäkinen",
    "Hämäläinen",
    "Laine",
    "Heikkinen",
    "Koskinen",
    "Järvinen",
    "Lehtonen",
    "Saarinen",
    "Salminen",
    "Heinonen",
    "Niemi",
    "Kinnunen",
    "Salonen",
    "Turunen",
    "Lehtinen",
    "Laitinen",
    "Ahonen",
];

const MONTHS: &[&str] = &[
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

const DAYS: &[&str] = &[
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// A made-up Finnish-sounding name of 2 to 4 syllables: products, suppliers and streets.
fn made_up(rng: &mut StdRng, syllables: std::ops::RangeInclusive<usize>) -> String {
    const CONSONANTS: &[&str] = &["k", "l", "m", "n", "p", "r", "s", "t", "v", "h", "j"];
    const VOWELS: &[&str] = &["a", "e", "i", "o", "u", "y", "ä", "ö", "aa", "ai"];
    let mut word = String::new();
    for _ in 0..rng.random_range(syllables) {
        word.push_str(CONSONANTS.choose(rng).expect("consonant"));
        word.push_str(VOWELS.choose(rng).expect("vowel"));
    }
    capitalised(&word)
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// One copy's product and people.
struct Product {
    brand: &'static str,
    model: String,
    number: u32,
    category: &'static str,
    city: &'static str,
    supplier: String,
    street: String,
    person: String,
}

impl Product {
    fn new(copy: usize, rng: &mut StdRng) -> Self {
        Self {
            brand: BRANDS[copy % BRANDS.len()],
            model: made_up(rng, 2..=3),
            number: rng.random_range(2..=19) * 50,
            category: CATEGORIES.choose(rng).expect("category"),
            city: CITIES.choose(rng).expect("city"),
            supplier: made_up(rng, 2..=3),
            street: format!("{}nkatu", made_up(rng, 2..=3)),
            person: format!(
                "{} {}",
                FIRST_NAMES.choose(rng).expect("name"),
                LAST_NAMES.choose(rng).expect("name")
            ),
        }
    }

    /// A sentence about this product to end a section with.
    fn note(&self, rng: &mut StdRng) -> String {
        let Self {
            brand,
            model,
            number,
            category,
            city,
            supplier,
            street,
            person,
        } = self;
        let part = PARTS.choose(rng).expect("part");
        let maker = made_up(rng, 2..=4);
        let code = format!(
            "{}{}{}",
            (b'A' + rng.random_range(0..26u8)) as char,
            (b'A' + rng.random_range(0..26u8)) as char,
            rng.random_range(1_000..10_000)
        );
        let year = rng.random_range(2019..=2026);
        let month = MONTHS.choose(rng).expect("month");
        let (from, to) = (
            DAYS.choose(rng).expect("day"),
            DAYS.choose(rng).expect("day"),
        );
        match rng.random_range(0..10) {
            0 => format!(
                "On the {brand} {model} {number} the {part} comes from {supplier}; the {city} \
                 store keeps spare parts for it."
            ),
            1 => format!(
                "{brand} {model} owners near {city} can also use our partner workshop at \
                 {street} {}, open {from} to {to}.",
                rng.random_range(1..120)
            ),
            2 => format!(
                "For the {model} {category} bike, quote the frame number stamped under the bottom \
                 bracket (it starts with {code}) when you contact us."
            ),
            3 => format!(
                "The {model} {number} uses a {part} made by {maker}; its manual is on the {model} \
                 product page."
            ),
            4 => format!(
                "If you bought your {model} before {month} {year}, the terms printed on your \
                 receipt apply instead."
            ),
            5 => format!(
                "Questions about the {model}? {person} at our {city} store looks after {category} \
                 bikes on weekdays."
            ),
            6 => format!(
                "The {maker} {part} fitted to {category} models from {year} onwards is handled the \
                 same way."
            ),
            7 => format!(
                "Riders of the {brand} {model} in {city} should have the {part} checked every {} \
                 km in winter.",
                rng.random_range(2..40) * 100
            ),
            8 => format!(
                "{supplier} and {maker} supply the {part} for the {number} series; batch {code} \
                 was recalled in {month} {year}."
            ),
            _ => format!(
                "The {brand} {model} is sold in {city} and online; the {category} version weighs \
                 {} kg without the battery.",
                rng.random_range(14..38)
            ),
        }
    }
}

/// Copy `copy` of an article: its file name and Markdown.
fn variant(name: &str, text: &str, copy: usize, rng: &mut StdRng) -> (String, String) {
    let product = Product::new(copy, rng);
    let stem = name.strip_suffix(".md").unwrap_or(name);
    let file_name = format!(
        "{stem}-{}-{}-{copy:03}.md",
        product.brand.to_lowercase(),
        product.model.to_lowercase()
    );
    let mut out = String::with_capacity(text.len() + 1_000);
    let mut in_section = false;
    for block in text.split("\n\n") {
        let block = block.trim();
        if block.is_empty() {
            continue;
        }
        if let Some(title) = block.strip_prefix("# ") {
            out.push_str(&format!(
                "# {title} — {} {} {}\n\n",
                product.brand, product.model, product.number
            ));
            continue;
        }
        if block.starts_with("## ") {
            if in_section {
                out.push_str(&product.note(rng));
                out.push_str("\n\n");
            }
            in_section = true;
            out.push_str(block);
            out.push_str("\n\n");
            continue;
        }
        let rebranded = block
            .replace("Kuura", product.brand)
            .replace("kuura", &product.brand.to_lowercase());
        out.push_str(&renumbered(&rebranded, rng));
        out.push_str("\n\n");
    }
    if in_section {
        out.push_str(&product.note(rng));
        out.push('\n');
    }
    (file_name, out)
}

/// `text` with about a third of its short numbers changed a little ("2 business days" → "3").
fn renumbered(text: &str, rng: &mut StdRng) -> String {
    let mut out = String::with_capacity(text.len());
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String, rng: &mut StdRng| {
        if digits.is_empty() {
            return;
        }
        match digits.parse::<u32>() {
            Ok(n) if digits.len() <= 3 && !digits.starts_with('0') && rng.random_bool(0.35) => {
                out.push_str(&(n + rng.random_range(1..=(n / 5).max(1))).to_string());
            }
            _ => out.push_str(digits),
        }
        digits.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out, rng);
            out.push(c);
        }
    }
    flush(&mut digits, &mut out, rng);
    out
}
