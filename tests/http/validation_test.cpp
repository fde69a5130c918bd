#include "stack.h"
#include "testutil.h"

#include <QFile>
#include <QJsonArray>
#include <QRegularExpression>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QUuid>

#include <gtest/gtest.h>

using namespace cd;
using cdtest::HeaderList;
using cdtest::Stack;
using cdtest::StackOptions;

namespace {

// The built-in crawler under its usual name (so its params are checked), and a free-form profile.
QMap<QString, QString> profiles()
{
    return {{QStringLiteral("crawler"),
             QStringLiteral("crawldeck worker crawl --params {params_file} --output {output_dir}")},
            {QStringLiteral("other"), QStringLiteral("true")}};
}

HeaderList credentials()
{
    return {{QByteArrayLiteral("Authorization"), QByteArrayLiteral("Bearer ") + Stack::kToken},
            {QByteArrayLiteral("X-API-Key"), Stack::kCallbackKey}};
}

int jobCount(Stack &st)
{
    store::JobFilter f;
    f.limit = store::JobFilter::kMaxLimit;
    return static_cast<int>(st.jobs->page(f).value().size());
}

QString waitingJob(Stack &st)
{
    const auto r = cdtest::postJson(
        st.port(), "/api/crawler/start",
        QJsonObject{{QStringLiteral("keywords"), QJsonArray{QStringLiteral("k")}}, {QStringLiteral("domain_count"), 2}},
        Stack::kToken);
    EXPECT_EQ(r.status, 200) << r.body.toStdString();
    return r.json().value(QStringLiteral("job_id")).toString();
}

bool serverUp(Stack &st)
{
    return cdtest::getJson(st.port(), "/health").status == 200;
}

struct Case
{
    const char *name;
    const char *method;
    const char *path; // "{job}" stands for a job that exists
    const char *body; // raw bytes, "{job}" substituted; nullptr = no body
    int status;
    const char *named;          // must appear in the error's detail: the field or parameter
    const char *also = nullptr; // and this too (a suggestion, a range), when set
    const char *contentType = "application/json";
};

// Every case is refused; the test checks the exact status, that the detail names the field, that
// no job and no log line was stored, and that the server still answers.
const Case kCases[] = {
    // Creating a job: unknown fields, nulls, wrong types.
    {"start: typo of start_urls", "POST", "/api/crawler/start",
     R"({"keywords":["a"],"start_url":["http://example.com/"]})", 422, "'start_url'", "did you mean 'start_urls'?"},
    {"jobs: typo of keywords", "POST", "/api/jobs", R"({"keyword":"a"})", 422, "'keyword'", "did you mean 'keywords'?"},
    {"jobs: two unknown fields", "POST", "/api/jobs", R"({"keywords":["a"],"colour":1,"flavour":2})", 422, "'colour'",
     "'flavour'"},
    {"start: domain_count null", "POST", "/api/crawler/start", R"({"keywords":["a"],"domain_count":null})", 422,
     "'domain_count'", "null"},
    {"start: keywords null", "POST", "/api/crawler/start", R"({"keywords":null})", 422, "'keywords'", "null"},
    {"start: keywords a number", "POST", "/api/crawler/start", R"({"keywords":5})", 422, "'keywords'"},
    {"start: keywords entry not a string", "POST", "/api/crawler/start", R"({"keywords":["a",1]})", 422,
     "'keywords' entry 1"},
    {"start: keywords missing", "POST", "/api/crawler/start", R"({"domain_count":3})", 422, "'keywords'", "required"},
    {"start: keywords only blanks", "POST", "/api/crawler/start", R"({"keywords":["  ",""]})", 422, "'keywords'"},
    {"start: domain_count words", "POST", "/api/crawler/start", R"({"keywords":["a"],"domain_count":"lots"})", 422,
     "'domain_count'", "1 to 100000"},
    {"start: domain_count zero", "POST", "/api/crawler/start", R"({"keywords":["a"],"domain_count":0})", 422,
     "'domain_count'"},
    {"start: domain_count fraction", "POST", "/api/crawler/start", R"({"keywords":["a"],"domain_count":2.5})", 422,
     "'domain_count'"},
    {"start: domain_count too big", "POST", "/api/crawler/start", R"({"keywords":["a"],"domain_count":1e9})", 422,
     "'domain_count'"},
    {"start: domain_count a list", "POST", "/api/crawler/start", R"({"keywords":["a"],"domain_count":[3]})", 422,
     "'domain_count'"},
    {"start: num_domains words", "POST", "/api/crawler/start", R"({"keywords":["a"],"num_domains":"x"})", 422,
     "'num_domains'"},
    {"start: domain_count and num_domains differ", "POST", "/api/crawler/start",
     R"({"keywords":["a"],"domain_count":3,"num_domains":4})", 422, "'num_domains'"},
    {"jobs: backend unknown", "POST", "/api/jobs", R"({"backend":"bogus"})", 422, "'backend'", "local, runpod"},
    {"jobs: backend a number", "POST", "/api/jobs", R"({"backend":1})", 422, "'backend'"},
    {"jobs: backend null", "POST", "/api/jobs", R"({"backend":null})", 422, "'backend'", "null"},
    {"jobs: params a list", "POST", "/api/jobs", R"({"params":[]})", 422, "'params'"},
    {"jobs: params a string", "POST", "/api/jobs", R"({"params":"max_pages=3"})", 422, "'params'"},
    {"jobs: params null", "POST", "/api/jobs", R"({"params":null})", 422, "'params'", "null"},
    {"jobs: priority out of range", "POST", "/api/jobs", R"({"profile":"other","priority":5000})", 422, "'priority'",
     "-1000 to 1000"},
    {"jobs: priority words", "POST", "/api/jobs", R"({"profile":"other","priority":"high"})", 422, "'priority'"},
    {"jobs: timeout_s negative", "POST", "/api/jobs", R"({"profile":"other","timeout_s":-1})", 422, "'timeout_s'"},
    {"jobs: max_attempts zero", "POST", "/api/jobs", R"({"profile":"other","max_attempts":0})", 422, "'max_attempts'",
     "1 to 20"},
    {"jobs: max_attempts too many", "POST", "/api/jobs", R"({"profile":"other","max_attempts":21})", 422,
     "'max_attempts'"},
    {"jobs: kind empty", "POST", "/api/jobs", R"({"profile":"other","kind":""})", 422, "'kind'"},
    {"jobs: kind a number", "POST", "/api/jobs", R"({"profile":"other","kind":7})", 422, "'kind'"},
    {"jobs: profile a number", "POST", "/api/jobs", R"({"profile":3})", 422, "'profile'"},
    {"jobs: profile unknown", "POST", "/api/jobs", R"({"profile":"nosuch"})", 422, "'nosuch'", "profile"},
    {"jobs: start_urls a string", "POST", "/api/jobs", R"({"profile":"other","start_urls":"http://example.com/"})", 422,
     "'start_urls'"},
    {"jobs: start_urls not http", "POST", "/api/jobs", R"({"profile":"other","start_urls":["ftp://example.com/"]})",
     422, "'start_urls'", "ftp://example.com/"},
    {"jobs: keywords twice, different", "POST", "/api/jobs",
     R"({"profile":"other","keywords":["a"],"params":{"keywords":["b"]}})", 422, "'keywords'", "both"},
    // The built-in crawler's params, checked at create time.
    {"jobs: crawler max_pages words", "POST", "/api/jobs",
     R"({"keywords":["a"],"start_urls":["http://127.0.0.1:9/"],"params":{"max_pages":"lots"}})", 422, "'max_pages'"},
    {"jobs: crawler param typo", "POST", "/api/jobs",
     R"({"keywords":["a"],"start_urls":["http://127.0.0.1:9/"],"params":{"max_page":10}})", 422, "'params.max_page'",
     "did you mean 'max_pages'?"},
    {"jobs: crawler without start urls", "POST", "/api/jobs", R"({"keywords":["a"]})", 422, "'start_urls'"},
    {"jobs: crawler without keywords", "POST", "/api/jobs", R"({"start_urls":["http://127.0.0.1:9/"]})", 422,
     "'keywords'"},
    {"jobs: crawler same_site_only a string", "POST", "/api/jobs",
     R"({"keywords":["a"],"start_urls":["http://127.0.0.1:9/"],"params":{"same_site_only":"yes"}})", 422,
     "'same_site_only'"},
    {"start: crawler profile, bad delay", "POST", "/api/crawler/start",
     R"({"keywords":["a"],"profile":"crawler","start_urls":["http://127.0.0.1:9/"],"params":{"delay_ms":-5}})", 422,
     "'delay_ms'"},
    // Bodies that are not one unambiguous JSON object.
    {"start: duplicate key", "POST", "/api/crawler/start", R"({"keywords":["a"],"keywords":["b"]})", 400, "'keywords'",
     "twice"},
    {"jobs: duplicate key inside params", "POST", "/api/jobs", R"({"profile":"other","params":{"x":1,"x":2}})", 400,
     "'x'", "twice"},
    {"jobs: duplicate key written two ways", "POST", "/api/jobs", R"({"profile":"other","kind":"a","\u006bind":"b"})",
     400, "'kind'", "twice"},
    {"start: malformed JSON", "POST", "/api/crawler/start", R"({"keywords":["a"])", 400, "malformed JSON"},
    {"start: a list, not an object", "POST", "/api/crawler/start", R"([{"keywords":["a"]}])", 422, "JSON object"},
    {"start: not JSON at all", "POST", "/api/crawler/start", "keywords=a", 415, "application/json", nullptr,
     "application/x-www-form-urlencoded"},
    {"start: unknown query parameter", "POST", "/api/crawler/start?dry_run=1", R"({"keywords":["a"]})", 400,
     "'dry_run'"},
    // The log callback.
    {"log: message null", "POST", "/api/crawler/log", R"({"job_id":"{job}","message":null})", 422, "'message'", "null"},
    {"log: message a number", "POST", "/api/crawler/log", R"({"job_id":"{job}","message":123})", 422, "'message'"},
    {"log: messages with a number", "POST", "/api/crawler/log", R"({"job_id":"{job}","messages":["a",1]})", 422,
     "'messages' entry 1"},
    {"log: messages with null", "POST", "/api/crawler/log", R"({"job_id":"{job}","messages":["a",null]})", 422,
     "'messages' entry 1", "null"},
    {"log: messages a string", "POST", "/api/crawler/log", R"({"job_id":"{job}","messages":"a"})", 422, "'messages'"},
    {"log: messages null", "POST", "/api/crawler/log", R"({"job_id":"{job}","messages":null})", 422, "'messages'"},
    {"log: job_id a number", "POST", "/api/crawler/log", R"({"job_id":5,"message":"a"})", 422, "'job_id'"},
    {"log: job_id null", "POST", "/api/crawler/log", R"({"job_id":null,"message":"a"})", 422, "'job_id'"},
    {"log: job_id missing", "POST", "/api/crawler/log", R"({"message":"a"})", 422, "'job_id'"},
    {"log: both message and messages", "POST", "/api/crawler/log",
     R"({"job_id":"{job}","message":"a","messages":["b"]})", 422, "'messages'", "not both"},
    {"log: neither message nor messages", "POST", "/api/crawler/log", R"({"job_id":"{job}"})", 422, "'message'"},
    {"log: unknown field", "POST", "/api/crawler/log", R"({"job_id":"{job}","message":"a","level":"INFO"})", 422,
     "'level'"},
    {"log: typo of message", "POST", "/api/crawler/log", R"({"job_id":"{job}","mesage":"a"})", 422, "'mesage'",
     "did you mean 'message'?"},
    {"log: duplicate job_id", "POST", "/api/crawler/log",
     R"({"job_id":"{job}","job_id":"00000000-0000-0000-0000-000000000000","message":"a"})", 400, "'job_id'", "twice"},
    // Query parameters.
    {"list: before not a job", "GET", "/api/jobs?before=nope", nullptr, 400, "'before'"},
    {"list: limit negative", "GET", "/api/jobs?limit=-1", nullptr, 400, "'limit'", "1 to 1000"},
    {"list: limit words", "GET", "/api/jobs?limit=abc", nullptr, 400, "'limit'"},
    {"list: limit too big", "GET", "/api/jobs?limit=100000", nullptr, 400, "'limit'", "1 to 1000"},
    {"list: status unknown", "GET", "/api/jobs?status=bogus", nullptr, 400, "'status'", "queued"},
    {"list: backend unknown", "GET", "/api/jobs?backend=bogus", nullptr, 400, "'backend'"},
    {"list: parameter typo", "GET", "/api/jobs?statsu=queued", nullptr, 400, "'statsu'", "did you mean 'status'?"},
    {"list: parameter twice", "GET", "/api/jobs?limit=1&limit=2", nullptr, 400, "'limit'", "twice"},
    {"logs: after words", "GET", "/api/jobs/{job}/logs?after=x", nullptr, 400, "'after'"},
    {"logs: after negative", "GET", "/api/jobs/{job}/logs?after=-3", nullptr, 400, "'after'"},
    {"logs: limit zero", "GET", "/api/jobs/{job}/logs?limit=0", nullptr, 400, "'limit'", "1 to 10000"},
    {"logs: limit too big", "GET", "/api/jobs/{job}/logs?limit=10001", nullptr, 400, "'limit'", "1 to 10000"},
    {"logs: level unknown", "GET", "/api/jobs/{job}/logs?level=bogus", nullptr, 400, "'level'", "WARNING"},
    {"logs: unknown parameter", "GET", "/api/jobs/{job}/logs?from=3", nullptr, 400, "'from'"},
    {"sse: after words", "GET", "/api/crawler/logs/{job}?after=x", nullptr, 400, "'after'"},
    {"sse: unknown parameter", "GET", "/api/crawler/logs/{job}?since=1", nullptr, 400, "'since'"},
    {"status: unknown parameter", "GET", "/api/crawler/status/{job}?verbose=1", nullptr, 400, "'verbose'"},
    {"job: unknown parameter", "GET", "/api/jobs/{job}?fields=id", nullptr, 400, "'fields'"},
    {"artifacts: unknown parameter", "GET", "/api/jobs/{job}/artifacts?all=1", nullptr, 400, "'all'"},
    {"logs.txt: unknown parameter", "GET", "/api/jobs/{job}/logs.txt?tail=5", nullptr, 400, "'tail'"},
};

} // namespace

TEST(Validation, EveryRefusalNamesTheFieldAndStoresNothing)
{
    Stack st(StackOptions().withProfiles(profiles()));
    const QString job = waitingJob(st);
    ASSERT_FALSE(job.isEmpty());
    ASSERT_TRUE(cdtest::waitUntil([&] { return st.jobs->job(job)->status == model::JobStatus::Running; }));
    const int jobsBefore = jobCount(st);
    const qint64 linesBefore = st.logs->count(job);
    int cases = 0;
    for (const Case &c : kCases) {
        SCOPED_TRACE(c.name);
        QByteArray path(c.path);
        path.replace("{job}", job.toUtf8());
        HeaderList headers = credentials();
        QByteArray body;
        if (c.body) {
            body = QByteArray(c.body).replace("{job}", job.toUtf8());
            headers.append({QByteArrayLiteral("Content-Type"), QByteArray(c.contentType)});
        }
        const auto r = cdtest::request(st.port(), c.method, path, body, headers);
        EXPECT_EQ(r.status, c.status) << r.body.toStdString();
        const QString detail = r.json().value(QStringLiteral("detail")).toString();
        EXPECT_TRUE(detail.contains(QLatin1String(c.named))) << detail.toStdString();
        if (c.also) {
            EXPECT_TRUE(detail.contains(QLatin1String(c.also))) << detail.toStdString();
        }
        EXPECT_EQ(jobCount(st), jobsBefore);
        EXPECT_EQ(st.logs->count(job), linesBefore);
        EXPECT_TRUE(serverUp(st));
        ++cases;
    }
    EXPECT_GE(cases, 45);
}

// What the seed's FastAPI/pydantic model accepted is still accepted, and read the same way.
TEST(Validation, SeedLaxValuesAreAccepted)
{
    Stack st(StackOptions().withProfiles(profiles()));
    auto start = [&](const QByteArray &body) {
        const auto r =
            cdtest::request(st.port(), "POST", "/api/crawler/start", body,
                            {{QByteArrayLiteral("Authorization"), QByteArrayLiteral("Bearer ") + Stack::kToken},
                             {QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json")}});
        EXPECT_EQ(r.status, 200) << body.toStdString() << " -> " << r.body.toStdString();
        return st.jobs->job(r.json().value(QStringLiteral("job_id")).toString());
    };
    const auto fromString = start(R"({"keywords":["solar"],"domain_count":"3"})");
    ASSERT_TRUE(fromString.ok());
    EXPECT_TRUE(fromString->params.value(QStringLiteral("domain_count")).isDouble());
    EXPECT_EQ(fromString->params.value(QStringLiteral("domain_count")).toInt(), 3);
    const auto whole = start(R"({"keywords":"solar","domain_count":4.0})");
    ASSERT_TRUE(whole.ok());
    EXPECT_EQ(whole->params.value(QStringLiteral("domain_count")).toInt(), 4);
    EXPECT_EQ(whole->params.value(QStringLiteral("keywords")), QJsonValue(QJsonArray{QStringLiteral("solar")}));
    const auto alias = start(R"({"keywords":["solar"],"num_domains":"7","priority":"2"})");
    ASSERT_TRUE(alias.ok());
    EXPECT_EQ(alias->params.value(QStringLiteral("domain_count")).toInt(), 7);
    EXPECT_EQ(alias->priority, 2);
    // Only keys count as repeats: not escaped quotes inside a value, not equal values in a list.
    const auto quoted = start(R"({"keywords":["a\",\"keywords\":[\"b","keywords","keywords"]})");
    ASSERT_TRUE(quoted.ok());
    EXPECT_EQ(quoted->params.value(QStringLiteral("keywords")).toArray().first().toString(),
              QStringLiteral("a\",\"keywords\":[\"b"));
    const auto nested = start(R"({"keywords":["a"],"params":{"keywords":["a"],"x":{"x":{"x":1}}},"profile":"other"})");
    ASSERT_TRUE(nested.ok());
    const auto defaults = start(R"({"keywords":["solar"]})");
    ASSERT_TRUE(defaults.ok());
    EXPECT_EQ(defaults->params.value(QStringLiteral("domain_count")).toInt(), 5);
    EXPECT_EQ(defaults->params.value(QStringLiteral("profile")), QJsonValue(QStringLiteral("external")));

    // An empty message is one empty line; an empty list is a call that adds nothing.
    const QString id = defaults->id;
    ASSERT_TRUE(cdtest::waitUntil([&] { return st.jobs->job(id)->status == model::JobStatus::Running; }));
    const qint64 before = st.logs->count(id);
    const HeaderList key{{QByteArrayLiteral("X-API-Key"), Stack::kCallbackKey}};
    const auto empty =
        cdtest::postJson(st.port(), "/api/crawler/log",
                         QJsonObject{{QStringLiteral("job_id"), id}, {QStringLiteral("message"), QString()}}, {}, key);
    EXPECT_EQ(empty.status, 200) << empty.body.toStdString();
    EXPECT_EQ(empty.json().value(QStringLiteral("lines")).toInt(), 1);
    EXPECT_EQ(st.logs->count(id), before + 1);
    const auto none = cdtest::postJson(
        st.port(), "/api/crawler/log",
        QJsonObject{{QStringLiteral("job_id"), id}, {QStringLiteral("messages"), QJsonArray{}}}, {}, key);
    EXPECT_EQ(none.status, 200) << none.body.toStdString();
    EXPECT_EQ(none.json().value(QStringLiteral("lines")).toInt(), 0);
    EXPECT_EQ(st.logs->count(id), before + 1);
    // Auth's own query parameter is not an unknown one.
    EXPECT_EQ(cdtest::getJson(st.port(), "/api/jobs?limit=2&access_token=" + Stack::kToken).status, 200);
}

// A database that cannot be read answers 503 with Retry-After, never "no such job", and the server
// keeps running; once the database is back, so are the answers.
TEST(Validation, UnreadableDatabaseIs503NotNotFound)
{
    Stack st(StackOptions().withProfiles(profiles()));
    const QString job = waitingJob(st);
    ASSERT_FALSE(job.isEmpty());
    ASSERT_TRUE(cdtest::waitUntil([&] { return st.jobs->job(job)->status == model::JobStatus::Running; }));

    // Another connection renames the tables under the server: every read of them fails.
    const QString name = QUuid::createUuid().toString();
    auto renameTables = [&](bool away) {
        QSqlDatabase other = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        other.setDatabaseName(st.dbPath());
        ASSERT_TRUE(other.open());
        QSqlQuery q(other);
        for (const char *table : {"jobs", "job_logs", "artifacts"}) {
            const QString from = QLatin1String(table) + (away ? QString() : QStringLiteral("_gone"));
            const QString to = QLatin1String(table) + (away ? QStringLiteral("_gone") : QString());
            ASSERT_TRUE(q.exec(QStringLiteral("ALTER TABLE %1 RENAME TO %2").arg(from, to))) << table;
        }
        other.close();
    };
    renameTables(true);
    QSqlDatabase::removeDatabase(name);

    const QByteArray unknown = QUuid::createUuid().toString(QUuid::WithoutBraces).toUtf8();
    const QByteArray known = job.toUtf8();
    const QByteArrayList paths{
        "/api/crawler/status/" + known, "/api/crawler/status/" + unknown,    "/api/jobs/" + known,          "/api/jobs",
        "/api/jobs/" + known + "/logs", "/api/jobs/" + known + "/artifacts", "/api/crawler/logs/" + unknown};
    for (const QByteArray &path : paths) {
        SCOPED_TRACE(path.toStdString());
        const auto r = cdtest::getJson(st.port(), path, Stack::kToken);
        EXPECT_EQ(r.status, 503) << r.body.toStdString();
        EXPECT_EQ(r.headers.value("retry-after"), QByteArray("1"));
        EXPECT_EQ(r.json().value(QStringLiteral("error")).toString(), QStringLiteral("unavailable"));
        EXPECT_TRUE(serverUp(st));
    }

    // A job cannot be created either; the answer says to retry rather than blaming the request.
    const auto create =
        cdtest::request(st.port(), "POST", "/api/crawler/start", R"({"keywords":["a"]})",
                        {{QByteArrayLiteral("Authorization"), QByteArrayLiteral("Bearer ") + Stack::kToken},
                         {QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json")}});
    EXPECT_EQ(create.status, 503) << create.body.toStdString();
    EXPECT_EQ(create.headers.value("retry-after"), QByteArray("1"));

    renameTables(false);
    QSqlDatabase::removeDatabase(name);
    EXPECT_EQ(jobCount(st), 1);
    EXPECT_EQ(cdtest::getJson(st.port(), "/api/crawler/status/" + job.toUtf8(), Stack::kToken).status, 200);
    EXPECT_EQ(cdtest::getJson(st.port(), "/api/crawler/status/" + unknown, Stack::kToken).status, 404);
}

// docs/api.md documents exactly the routes the server registers.
TEST(Validation, ApiDocsListEveryRouteAndNoOther)
{
    Stack st(StackOptions().noListen());
    auto normalise = [](QString route) {
        static const QRegularExpression placeholder(QStringLiteral("\\{[^}/]*\\}"));
        return route.replace(placeholder, QStringLiteral("{}"));
    };
    QSet<QString> registered;
    for (const QString &r : st.api->router().routes())
        registered.insert(normalise(r));
    ASSERT_GE(registered.size(), 15);

    QFile doc(QStringLiteral(CD_SOURCE_DIR "/docs/api.md"));
    ASSERT_TRUE(doc.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(doc.readAll());
    static const QRegularExpression mention(QStringLiteral("`(GET|POST|PUT|PATCH|DELETE|HEAD) (/[^`\\s?]*)"));
    QSet<QString> documented;
    for (auto it = mention.globalMatch(text); it.hasNext();) {
        const auto m = it.next();
        documented.insert(normalise(m.captured(1) + u' ' + m.captured(2)));
    }
    for (const QString &r : registered)
        EXPECT_TRUE(documented.contains(r)) << "not in docs/api.md: " << r.toStdString();
    for (const QString &d : documented)
        EXPECT_TRUE(registered.contains(d)) << "documented but not registered: " << d.toStdString();
}
