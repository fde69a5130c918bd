#include "stack.h"
#include "testutil.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTcpSocket>
#include <QUuid>

#include <gtest/gtest.h>

#include <functional>

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
    model::JobFilter f;
    f.limit = model::JobFilter::kMaxLimit;
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

// It answers at all (while its database is unreadable /health answers 503).
bool serverUp(Stack &st)
{
    return cdtest::getJson(st.port(), "/health").status != 0;
}

// Another connection renames tables under the server (`away`) or back: every read of them fails
// meanwhile, as with a database that went away.
void renameTables(Stack &st, const QStringList &tables, bool away)
{
    const QString name = QUuid::createUuid().toString();
    {
        QSqlDatabase other = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        other.setDatabaseName(st.dbPath());
        ASSERT_TRUE(other.open());
        QSqlQuery q(other);
        for (const QString &table : tables) {
            const QString gone = table + QStringLiteral("_gone");
            ASSERT_TRUE(
                q.exec(QStringLiteral("ALTER TABLE %1 RENAME TO %2").arg(away ? table : gone, away ? gone : table)))
                << table.toStdString();
        }
        other.close();
    }
    QSqlDatabase::removeDatabase(name);
}

// `count` lines of `size` bytes or so, committed.
void appendLines(Stack &st, const QString &jobId, int count, int size)
{
    const QString pad(size, u'x');
    QStringList lines;
    for (int i = 1; i <= count; ++i)
        lines << QStringLiteral("line %1 ").arg(i) + pad;
    st.bus->append(jobId, model::LogSource::Callback, lines);
    ASSERT_TRUE(st.logs->flush());
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
     "'keywords' entry 1", "is a number"},
    {"start: start_urls entry a number", "POST", "/api/crawler/start", R"({"keywords":["a"],"start_urls":[7]})", 422,
     "'start_urls' entry 0", "is a number"},
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
    {"log: message a number", "POST", "/api/crawler/log", R"({"job_id":"{job}","message":123})", 422, "'message'",
     "got a number"},
    {"log: messages with a number", "POST", "/api/crawler/log", R"({"job_id":"{job}","messages":["a",1]})", 422,
     "'messages' entry 1", "is a number"},
    {"log: messages with null", "POST", "/api/crawler/log", R"({"job_id":"{job}","messages":["a",null]})", 422,
     "'messages' entry 1", "null"},
    {"log: messages a string", "POST", "/api/crawler/log", R"({"job_id":"{job}","messages":"a"})", 422, "'messages'",
     "got a string"},
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

    const QStringList tables{QStringLiteral("jobs"), QStringLiteral("job_logs"), QStringLiteral("artifacts")};
    renameTables(st, tables, true);

    const QByteArray unknown = QUuid::createUuid().toString(QUuid::WithoutBraces).toUtf8();
    const QByteArray known = job.toUtf8();
    // The known job passes the server's cache of existing ids: the failed read behind it must still
    // be a 503, never an empty log or a "not found".
    const QByteArrayList paths{"/api/crawler/status/" + known,
                               "/api/crawler/status/" + unknown,
                               "/api/jobs/" + known,
                               "/api/jobs",
                               "/api/jobs/" + known + "/logs",
                               "/api/jobs/" + known + "/artifacts",
                               "/api/crawler/logs/" + unknown,
                               "/api/crawler/logs/" + known,
                               "/api/jobs/" + known + "/logs.txt"};
    for (const QByteArray &path : paths) {
        SCOPED_TRACE(path.toStdString());
        const auto r = cdtest::getJson(st.port(), path, Stack::kToken);
        EXPECT_EQ(r.status, 503) << r.body.toStdString();
        EXPECT_EQ(r.headers.value("retry-after"), QByteArray("1"));
        EXPECT_EQ(r.json().value(QStringLiteral("error")).toString(), QStringLiteral("unavailable"));
        EXPECT_TRUE(serverUp(st));
    }

    // The health check says so, for a load balancer to take the node out of rotation.
    const auto health = cdtest::getJson(st.port(), "/health");
    EXPECT_EQ(health.status, 503) << health.body.toStdString();
    EXPECT_EQ(health.json().value(QStringLiteral("status")).toString(), QStringLiteral("unavailable"));
    EXPECT_EQ(health.json().value(QStringLiteral("error")).toString(), QStringLiteral("the database cannot be read"));
    EXPECT_FALSE(health.body.contains("no such table")); // open route: no driver text
    EXPECT_EQ(health.headers.value("retry-after"), QByteArray("1"));

    // A job cannot be created either; the answer says to retry rather than blaming the request.
    const auto create =
        cdtest::request(st.port(), "POST", "/api/crawler/start", R"({"keywords":["a"]})",
                        {{QByteArrayLiteral("Authorization"), QByteArrayLiteral("Bearer ") + Stack::kToken},
                         {QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json")}});
    EXPECT_EQ(create.status, 503) << create.body.toStdString();
    EXPECT_EQ(create.headers.value("retry-after"), QByteArray("1"));

    renameTables(st, tables, false);
    EXPECT_EQ(jobCount(st), 1);
    EXPECT_EQ(cdtest::getJson(st.port(), "/api/crawler/status/" + job.toUtf8(), Stack::kToken).status, 200);
    EXPECT_EQ(cdtest::getJson(st.port(), "/api/crawler/status/" + unknown, Stack::kToken).status, 404);
    EXPECT_EQ(cdtest::getJson(st.port(), "/health").status, 200);
}

// Every route the server registers refuses a query parameter it does not declare, before its
// handler runs. The list comes from the router itself, so a new route cannot forget it.
TEST(Validation, EveryRouteRefusesAnUnknownQueryParameter)
{
    Stack st(StackOptions().withProfiles(profiles()));
    const QString job = waitingJob(st);
    ASSERT_FALSE(job.isEmpty());
    const int jobs = jobCount(st);
    const qint64 lines = st.logs->count(job);
    const QStringList routes = st.api->router().routes();
    ASSERT_GE(routes.size(), 15);
    for (const QString &route : routes) {
        SCOPED_TRACE(route.toStdString());
        const QByteArray method = route.section(u' ', 0, 0).toUtf8();
        QString path = route.section(u' ', 1);
        path.replace(QStringLiteral("{*}"), QStringLiteral("x.txt")).replace(QStringLiteral("{}"), job);
        // A body each POST route would otherwise accept: only the query can be the reason to refuse.
        const QByteArray body = method != "POST" ? QByteArray()
                                : path.endsWith(QStringLiteral("/log"))
                                    ? R"({"job_id":")" + job.toUtf8() + R"(","message":"stored?"})"
                                    : QByteArrayLiteral(R"({"keywords":["stored?"]})");
        HeaderList headers = credentials();
        headers.append({QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json")});
        const auto r = cdtest::request(st.port(), method, path.toUtf8() + "?bogus=1", body, headers);
        EXPECT_EQ(r.status, 400) << r.body.toStdString();
        EXPECT_TRUE(r.body.contains("'bogus'")) << r.body.toStdString();
    }
    EXPECT_TRUE(serverUp(st));
    EXPECT_EQ(jobCount(st), jobs);
    EXPECT_EQ(st.logs->count(job), lines);
    EXPECT_EQ(st.jobs->job(job)->status, model::JobStatus::Running);
}

namespace {

struct ChunkedBody
{
    QByteArray head;       // status line and headers, lower-cased
    QByteArray text;       // the complete chunks' data
    bool complete = false; // the last chunk arrived: the body was not cut short
};

ChunkedBody decodeChunked(const QByteArray &raw)
{
    ChunkedBody out;
    const qsizetype end = raw.indexOf("\r\n\r\n");
    if (end < 0)
        return out;
    out.head = raw.left(end).toLower();
    qsizetype p = end + 4;
    for (;;) {
        const qsizetype eol = raw.indexOf("\r\n", p);
        if (eol < 0)
            return out;
        bool ok = false;
        const qsizetype size = raw.mid(p, eol - p).toLongLong(&ok, 16);
        if (!ok)
            return out;
        if (size == 0) {
            out.complete = raw.mid(eol + 2) == "\r\n";
            return out;
        }
        if (raw.size() < eol + 2 + size + 2)
            return out;
        out.text += raw.mid(eol + 2, size);
        p = eol + 2 + size + 2;
    }
}

// GET logs.txt without reading for a while, so the server fills the socket and waits for it to
// drain; `whileStalled` runs then. Returns every byte received until the server closed.
QByteArray stalledLogText(Stack &st, const QString &job, const std::function<void()> &whileStalled)
{
    QTcpSocket s;
    s.setReadBufferSize(16 * 1024);
    s.connectToHost(QStringLiteral("127.0.0.1"), st.port());
    if (!s.waitForConnected(5000))
        return {};
    s.write("GET /api/jobs/" + job.toUtf8() + "/logs.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
            Stack::kToken + "\r\n\r\n");
    cdtest::spin(500);
    whileStalled();
    QByteArray all;
    bool closed = false;
    QObject ctx;
    QObject::connect(&s, &QTcpSocket::readyRead, &ctx, [&] { all += s.readAll(); });
    QObject::connect(&s, &QTcpSocket::disconnected, &ctx, [&] { closed = true; });
    s.setReadBufferSize(0);
    all += s.readAll();
    cdtest::waitUntil([&] { return closed; }, 30000);
    all += s.readAll();
    return all;
}

} // namespace

// logs.txt ends with the chunked body's last chunk only when every page was read: a page that
// cannot be read mid-way aborts the connection, so the client sees a truncated transfer rather
// than a log that merely looks shorter.
TEST(Validation, LogTextCutShortByAFailedReadIsVisiblyTruncated)
{
    Stack st(StackOptions().withProfiles(profiles()));
    const QString job = waitingJob(st);
    ASSERT_FALSE(job.isEmpty());
    constexpr int kLines = 30000; // 30 MB: far more than the socket buffers hold
    appendLines(st, job, kLines, 1000);
    const qint64 total = st.logs->count(job); // and the lines the job began with
    const QStringList logs{QStringLiteral("job_logs")};

    // Not even the first page can be read: a 503 to retry, not an empty log.
    renameTables(st, logs, true);
    const auto unreadable = cdtest::getJson(st.port(), "/api/jobs/" + job.toUtf8() + "/logs.txt", Stack::kToken);
    EXPECT_EQ(unreadable.status, 503) << unreadable.body.toStdString();
    EXPECT_EQ(unreadable.headers.value("retry-after"), QByteArray("1"));
    renameTables(st, logs, false);

    const ChunkedBody full = decodeChunked(stalledLogText(st, job, [] {}));
    ASSERT_TRUE(full.head.startsWith("http/1.1 200")) << full.head.toStdString();
    EXPECT_TRUE(full.head.contains("transfer-encoding: chunked"));
    EXPECT_TRUE(full.complete);
    EXPECT_EQ(full.text.count('\n'), total);

    const ChunkedBody cut = decodeChunked(stalledLogText(st, job, [&] { renameTables(st, logs, true); }));
    ASSERT_TRUE(cut.head.startsWith("http/1.1 200")) << cut.head.toStdString();
    EXPECT_FALSE(cut.complete);
    EXPECT_LT(cut.text.count('\n'), total);
    EXPECT_TRUE(full.text.startsWith(cut.text)); // what did arrive is the log's start, nothing skipped
    EXPECT_TRUE(serverUp(st));
    renameTables(st, logs, false);
}

// A live log stream whose read of the log fails says so with `event: error` (detail and the last
// line sent) and closes, instead of skipping to live lines or ending as if the log were complete;
// resuming with Last-Event-ID delivers the rest.
TEST(Validation, LiveLogStreamThatCannotReadTheLogSaysSoAndSkipsNothing)
{
    Stack st(StackOptions().withProfiles(profiles()));
    st.sse->setEndGraceMs(50);
    const QString job = waitingJob(st);
    ASSERT_FALSE(job.isEmpty());
    appendLines(st, job, 50, 10);
    const HeaderList auth{{QByteArrayLiteral("Authorization"), QByteArrayLiteral("Bearer ") + Stack::kToken}};
    cdtest::SseClient first(st.port(), "/api/crawler/logs/" + job.toUtf8(), auth);
    ASSERT_EQ(first.status(), 200);
    ASSERT_TRUE(first.waitForMessages(50));

    const QStringList logs{QStringLiteral("job_logs")};
    renameTables(st, logs, true);
    // The job ends: the stream reads the log once more before `event: end`, and that read fails.
    const auto cancel = cdtest::request(st.port(), "POST", "/api/crawler/cancel/" + job.toUtf8(), {}, auth);
    ASSERT_EQ(cancel.status, 200) << cancel.body.toStdString();
    ASSERT_TRUE(first.waitForEvent("error"));
    EXPECT_TRUE(first.waitForClose());
    QJsonObject error;
    QByteArray lastId;
    for (const auto &e : first.events()) {
        EXPECT_NE(e.event, QByteArray("end"));
        if (e.event == "error")
            error = QJsonDocument::fromJson(e.data).object();
        else if (e.event.isEmpty())
            lastId = e.id;
    }
    EXPECT_EQ(error.value(QStringLiteral("error")).toString(), QStringLiteral("unavailable"));
    EXPECT_FALSE(error.value(QStringLiteral("detail")).toString().isEmpty());
    EXPECT_EQ(QByteArray::number(error.value(QStringLiteral("last_seq")).toInteger()), lastId);

    renameTables(st, logs, false);
    HeaderList resume = auth;
    resume.append({QByteArrayLiteral("Last-Event-ID"), lastId});
    cdtest::SseClient second(st.port(), "/api/crawler/logs/" + job.toUtf8(), resume);
    ASSERT_EQ(second.status(), 200);
    ASSERT_TRUE(second.waitForEvent("end"));
    QList<QByteArray> all = first.messages() + second.messages();
    QList<QByteArray> stored;
    for (const auto &l : st.logs->lines(store::LogQuery{job, 0, 10000, {}, {}}))
        stored << l.message.toUtf8();
    EXPECT_EQ(all, stored); // every line once, in order
    EXPECT_GE(stored.size(), 50);
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
