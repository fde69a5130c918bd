// Authentication comes before anything else, over real sockets: a made-up token learns nothing from
// the body's checks, a valid credential without the right is 403 and no failure, and behind a
// trusted proxy the failure limit counts the proxy's clients, not the proxy.
#include "authcheck.h"
#include "stack.h"
#include "testutil.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QMessageAuthenticationCode>

#include <gtest/gtest.h>

using namespace cd;
using namespace cdtest;
using model::JobStatus;

namespace {

const QByteArray kToken = Stack::kToken;
const HeaderList kJson{{"Content-Type", "application/json"}};

StackOptions options(int maxFailures = 0)
{
    http::AuthLimits l;
    l.maxFailures = maxFailures;
    l.coolingMs = 60000;
    return StackOptions().withProfiles({{QStringLiteral("crawler"), QStringLiteral("sleep 30")}}).limits(l);
}

// A token handed out before tokens named their job: only the body's job can check it.
QByteArray legacyToken(const QString &jobId)
{
    return QMessageAuthenticationCode::hash(jobId.toUtf8(), QByteArrayLiteral("test-secret"),
                                            QCryptographicHash::Sha256)
        .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

struct BadBody
{
    const char *name;
    QByteArray query; // appended to the path
    QByteArray body;
    QByteArray contentType;
    int authenticatedStatus; // what a caller with a valid credential gets
};

QList<BadBody> badBodies(const QString &a)
{
    QByteArray many = "{\"job_id\":\"" + a.toUtf8() + "\",\"messages\":[";
    for (int i = 0; i < 10001; ++i)
        many += QByteArray(i ? "," : "") + "\"x\"";
    many += "]}";
    return {
        {"job_id of the wrong type", {}, R"({"job_id":5})", "application/json", 422},
        {"malformed JSON", {}, R"({"job_id":)", "application/json", 400},
        {"duplicate key", {}, "{\"job_id\":\"" + a.toUtf8() + "\",\"job_id\":\"x\"}", "application/json", 400},
        {"not JSON", {}, "job_id=1", "application/x-www-form-urlencoded", 415},
        {"empty body", {}, {}, "application/json", 422},
        {"unknown query parameter", "&verbose=1", "{\"job_id\":\"" + a.toUtf8() + "\",\"message\":\"x\"}",
         "application/json", 400},
        {"too many lines", {}, many, "application/json", 413},
    };
}

cdtest::HttpResponse post(Stack &st, const QByteArray &path, const BadBody &b, const HeaderList &extra = {})
{
    HeaderList h{{"Content-Type", b.contentType}};
    h += extra;
    return cdtest::request(st.port(), "POST", path + b.query, b.body, h);
}

// The messages stored for a job (the runner adds its own lines as well).
QStringList storedMessages(Stack &st, const QString &jobId)
{
    st.logs->flush();
    QStringList out;
    for (const auto &line : st.logs->lines(store::LogQuery{jobId, 0, 100000, {}, {}}))
        out << line.message;
    return out;
}

} // namespace

TEST(AuthOrder, MadeUpTokenLearnsNothingFromTheBody)
{
    Stack st(options());
    const QString a = startJob(st);
    for (const BadBody &b : badBodies(a)) {
        SCOPED_TRACE(b.name);
        // No credential: 401 before the body is read.
        const auto none = post(st, "/api/crawler/log?", b);
        EXPECT_EQ(none.status, 401) << none.body.toStdString();
        EXPECT_EQ(none.headers.value("www-authenticate"), kChallenge);
        // A made-up token without a dot cannot be checked before the body names the job; a body problem
        // must not tell it apart from a bad token all the same.
        for (const QByteArray &garbage : {QByteArray("garbage"), legacyToken(a)}) {
            const auto viaQuery = post(st, "/api/crawler/log?token=" + garbage, b);
            EXPECT_EQ(viaQuery.status, 401) << viaQuery.body.toStdString();
            EXPECT_EQ(viaQuery.headers.value("www-authenticate"), kInvalid);
            EXPECT_EQ(viaQuery.json().value(QStringLiteral("error")).toString(), QStringLiteral("unauthorized"));
            const auto viaHeader = post(st, "/api/crawler/log?", b, {{"X-Callback-Token", garbage}});
            EXPECT_EQ(viaHeader.status, 401) << viaHeader.body.toStdString();
            EXPECT_EQ(viaHeader.headers.value("www-authenticate"), kInvalid);
        }
        // A made-up token with a dot is checked at once: the same 401.
        EXPECT_EQ(post(st, "/api/crawler/log?token=" + a.toUtf8() + ".AAAA", b).status, 401);
        // Authenticated callers get the body's own answer.
        const auto valid = post(st, "/api/crawler/log?token=" + st.auth->jobToken(a).toUtf8(), b);
        EXPECT_EQ(valid.status, b.authenticatedStatus) << valid.body.toStdString();
        EXPECT_EQ(post(st, "/api/crawler/log?", b, {{"X-API-Key", Stack::kCallbackKey}}).status, b.authenticatedStatus);
    }
    // The legacy token still works when the body is right, and still only for its job.
    const QByteArray line = "{\"job_id\":\"" + a.toUtf8() + "\",\"message\":\"legacy\"}";
    EXPECT_EQ(cdtest::request(st.port(), "POST", "/api/crawler/log?token=" + legacyToken(a), line, kJson).status, 200);
    EXPECT_EQ(cdtest::request(st.port(), "POST", "/api/crawler/log?token=garbage", line, kJson).status, 401);
    // Only that line was stored: no refused request stored any.
    const QStringList stored = storedMessages(st, a);
    EXPECT_EQ(stored.count(QStringLiteral("legacy")), 1) << stored.join(u'\n').toStdString();
    EXPECT_FALSE(stored.contains(QStringLiteral("x"))) << stored.join(u'\n').toStdString();
    EXPECT_EQ(cdtest::getJson(st.port(), "/health").status, 200);
}

TEST(AuthOrder, MadeUpTokensWithBadBodiesCountAsFailures)
{
    Stack st(options(3));
    const QString a = startJob(st);
    for (int i = 0; i < 3; ++i)
        ASSERT_EQ(cdtest::request(st.port(), "POST", "/api/crawler/log?token=guess" + QByteArray::number(i),
                                  R"({"job_id":5})", kJson)
                      .status,
                  401);
    EXPECT_EQ(cdtest::getJson(st.port(), "/api/jobs", kToken).status, 429);
    EXPECT_EQ(st.jobs->job(a)->status, JobStatus::Running);
}

TEST(AuthOrder, JobTokenAsBearerOnAControlRouteIs403AndNoFailure)
{
    Stack st(options(2));
    const QString a = startJob(st);
    const QByteArray bearer = "Bearer " + st.auth->jobToken(a).toUtf8();
    for (int i = 0; i < 4; ++i) {
        for (const auto &[method, path] :
             QList<QPair<QByteArray, QByteArray>>{{"GET", "/api/jobs"},
                                                  {"GET", "/api/jobs/" + a.toUtf8()},
                                                  {"POST", "/api/crawler/cancel/" + a.toUtf8()},
                                                  {"POST", "/api/jobs/" + a.toUtf8() + "/cancel"}}) {
            const auto r = cdtest::request(st.port(), method, path, {}, {{"Authorization", bearer}});
            ASSERT_EQ(r.status, 403) << method.toStdString() << ' ' << path.toStdString() << r.body.toStdString();
            EXPECT_EQ(r.headers.value("www-authenticate"), kScope);
        }
    }
    // Sixteen refusals and no cooling: a valid credential is no guess.
    EXPECT_EQ(cdtest::getJson(st.port(), "/api/jobs", kToken).status, 200);
    EXPECT_EQ(st.jobs->job(a)->status, JobStatus::Running);
    // It is the job's credential for its own log lines wherever it is sent; another job's is 403.
    const QString b = startJob(st);
    const QByteArray lineA = "{\"job_id\":\"" + a.toUtf8() + "\",\"message\":\"x\"}";
    const QByteArray lineB = "{\"job_id\":\"" + b.toUtf8() + "\",\"message\":\"x\"}";
    HeaderList h = kJson;
    h.append({"Authorization", bearer});
    EXPECT_EQ(cdtest::request(st.port(), "POST", "/api/crawler/log", lineA, h).status, 200);
    EXPECT_EQ(cdtest::request(st.port(), "POST", "/api/crawler/log", lineB, h).status, 403);
    // A forged one is a wrong credential: 401, counted.
    const auto forged =
        cdtest::getJson(st.port(), "/api/jobs", a.toUtf8() + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    EXPECT_EQ(forged.status, 401);
    EXPECT_EQ(forged.headers.value("www-authenticate"), kInvalid);
}

TEST(AuthOrder, WebhookRefusalSpeaksOfTheWebhook)
{
    Stack st(options());
    const QString a = startJob(st);
    const auto none =
        cdtest::request(st.port(), "POST", "/api/runpod/webhook/" + a.toUtf8(), R"({"status":"COMPLETED"})", kJson);
    EXPECT_EQ(none.status, 401);
    const QString detail = none.json().value(QStringLiteral("detail")).toString();
    EXPECT_TRUE(detail.contains(QStringLiteral("webhook"))) << detail.toStdString();
    EXPECT_FALSE(detail.contains(QStringLiteral("log callbacks"))) << detail.toStdString();
    // The same words for any job: nothing learnt about which exist.
    EXPECT_EQ(cdtest::request(st.port(), "POST", "/api/runpod/webhook/nope", R"({"status":"COMPLETED"})", kJson).body,
              none.body);
}

TEST(AuthOrder, BehindATrustedProxyEachClientIsCountedAlone)
{
    const auto wrongFrom = [](Stack &st, const QByteArray &header, const QByteArray &value) {
        return cdtest::request(st.port(), "GET", "/api/jobs", {},
                               {{header, value}, {"Authorization", "Bearer not-the-token"}})
            .status;
    };
    const auto rightFrom = [](Stack &st, const QByteArray &header, const QByteArray &value) {
        HeaderList h{{"Authorization", "Bearer " + kToken}};
        if (!header.isEmpty())
            h.append({header, value});
        return cdtest::request(st.port(), "GET", "/api/jobs", {}, h).status;
    };

    // Not opted in: the headers are whatever the client says, so they are ignored and the peer counts.
    {
        Stack st(options(3));
        for (int i = 0; i < 3; ++i)
            ASSERT_EQ(wrongFrom(st, "X-Forwarded-For", "203.0.113.5"), 401);
        EXPECT_EQ(rightFrom(st, "X-Forwarded-For", "198.51.100.7"), 429);
    }

    static QStringList captured;
    captured.clear();
    QLoggingCategory::setFilterRules(QStringLiteral("crawldeck.http.auth.debug=true"));
    const auto previous =
        qInstallMessageHandler([](QtMsgType, const QMessageLogContext &, const QString &msg) { captured << msg; });
    Stack st(options(3));
    st.auth->setTrustedProxies({QHostAddress(QStringLiteral("127.0.0.1"))});
    // The last X-Forwarded-For entry is the one the proxy appended; earlier ones are the client's word.
    for (int i = 0; i < 3; ++i)
        ASSERT_EQ(wrongFrom(st, "X-Forwarded-For", "10.9.9.9, 203.0.113.5"), 401);
    qInstallMessageHandler(previous);
    QLoggingCategory::setFilterRules(QString());
    EXPECT_EQ(rightFrom(st, "X-Forwarded-For", "203.0.113.5"), 429);
    EXPECT_EQ(rightFrom(st, "X-Forwarded-For", "203.0.113.5, 198.51.100.7"), 200) << "another client is not locked out";
    EXPECT_EQ(rightFrom(st, "X-Forwarded-For", "203.0.113.5 , 198.51.100.7"), 200);
    EXPECT_EQ(rightFrom(st, {}, {}), 200) << "the proxy itself is not locked out";
    EXPECT_EQ(rightFrom(st, "X-Forwarded-For", "not-an-address"), 200) << "no address: the peer counts";
    // RFC 7239 Forwarded, when there is no X-Forwarded-For; IPv6 clients are counted per /64.
    for (int i = 0; i < 3; ++i)
        ASSERT_EQ(wrongFrom(st, "Forwarded", "for=192.0.2.1, for=\"[2001:db8:cafe::17]:4711\";proto=https"), 401);
    EXPECT_EQ(rightFrom(st, "Forwarded", "for=\"[2001:db8:cafe::99]\""), 429);
    EXPECT_EQ(rightFrom(st, "Forwarded", "for=192.0.2.1"), 200);
    EXPECT_EQ(rightFrom(st, "Forwarded", "for=\"192.0.2.60:8080\";proto=http"), 200);
    // The refusals name the client and the proxy it came through.
    EXPECT_TRUE(captured.join(u'\n').contains(QStringLiteral("from 203.0.113.5 via 127.0.0.1")))
        << captured.join(u'\n').toStdString();
}
