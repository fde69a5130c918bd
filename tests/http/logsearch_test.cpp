// The search count of a job's log (GET /api/jobs/{id}/logs/count) and the callback URL in
// GET /api/jobs/{id}, over the real server on loopback.
#include "logfixture.h"
#include "stack.h"
#include "testutil.h"

#include <QJsonArray>

#include <gtest/gtest.h>

using namespace cd;
using cdtest::Stack;
using cdtest::StackOptions;

namespace {

const QByteArray kToken = Stack::kToken;

QByteArray countPath(const QString &id, const QByteArray &query)
{
    return "/api/jobs/" + id.toUtf8() + "/logs/count?" + query;
}

} // namespace

TEST(LogSearchCount, CountsMatchesAndTheRankOfALine)
{
    Stack st;
    const QString id = cdtest::jobWithLog(st, 410, QStringLiteral("Broken PIPE"));
    // "pipe" is on lines 10, 20, ... 410: 41 of them, case-insensitive.
    auto r = cdtest::getJson(st.port(), countPath(id, "q=pipe"), kToken);
    ASSERT_EQ(r.status, 200) << r.body.toStdString();
    EXPECT_EQ(r.json().value(QStringLiteral("job_id")).toString(), id);
    EXPECT_EQ(r.json().value(QStringLiteral("count")).toInteger(), 41);
    EXPECT_EQ(r.json().value(QStringLiteral("rank")).toInteger(), 0);

    // Line 30 is the third match: "3 of 41"; a line between matches ranks after the one before it.
    r = cdtest::getJson(st.port(), countPath(id, "q=pipe&at=30"), kToken);
    EXPECT_EQ(r.json().value(QStringLiteral("count")).toInteger(), 41);
    EXPECT_EQ(r.json().value(QStringLiteral("rank")).toInteger(), 3);
    r = cdtest::getJson(st.port(), countPath(id, "q=pipe&at=35"), kToken);
    EXPECT_EQ(r.json().value(QStringLiteral("rank")).toInteger(), 3);

    // At levels: "page" is on every line, but only 16 WARNING lines (25, 75, ... 375 less those that
    // are also tenths) carry it at WARNING.
    r = cdtest::getJson(st.port(), countPath(id, "q=page&level=WARNING"), kToken);
    ASSERT_EQ(r.status, 200) << r.body.toStdString();
    int warnings = 0;
    for (int i = 1; i <= 410; ++i)
        warnings += i % 25 == 0 && i % 10 != 0 ? 1 : 0;
    EXPECT_EQ(r.json().value(QStringLiteral("count")).toInteger(), warnings);
    // Levels are case-insensitive and combine; every WARNING match is at or before the last line.
    r = cdtest::getJson(st.port(), countPath(id, "q=page&level=warning,error&at=410"), kToken);
    EXPECT_EQ(r.json().value(QStringLiteral("count")).toInteger(), warnings); // ERROR lines say "pipe"
    EXPECT_EQ(r.json().value(QStringLiteral("rank")).toInteger(), warnings);
    r = cdtest::getJson(st.port(), countPath(id, "q=%25&at=410"), kToken); // a literal %, not a wildcard
    EXPECT_EQ(r.json().value(QStringLiteral("count")).toInteger(), 0);
    r = cdtest::getJson(st.port(), countPath(id, "q=nowhere"), kToken);
    EXPECT_EQ(r.json().value(QStringLiteral("count")).toInteger(), 0);
}

TEST(LogSearchCount, RefusesWhatItCannotAnswer)
{
    Stack st;
    const QString id = cdtest::jobWithLog(st, 20, QStringLiteral("Broken PIPE"));
    EXPECT_EQ(cdtest::getJson(st.port(), countPath(id, ""), kToken).status, 400);          // no q
    EXPECT_EQ(cdtest::getJson(st.port(), countPath(id, "q="), kToken).status, 400);        // empty q
    EXPECT_EQ(cdtest::getJson(st.port(), countPath(id, "q=x&at=-1"), kToken).status, 400); // bad at
    EXPECT_EQ(cdtest::getJson(st.port(), countPath(id, "q=x&level=LOUD"), kToken).status, 400);
    EXPECT_EQ(cdtest::getJson(st.port(), countPath(id, "q=x&bogus=1"), kToken).status, 400);
    const auto unknown = cdtest::getJson(st.port(), countPath(QStringLiteral("no-such-job"), "q=x"), kToken);
    EXPECT_EQ(unknown.status, 404) << unknown.body.toStdString();
    // Read access: no credential is 401, a job token (a worker's) is 403.
    EXPECT_EQ(cdtest::getJson(st.port(), countPath(id, "q=x")).status, 401);
    const auto worker = cdtest::request(st.port(), "GET", countPath(id, "q=x"), {},
                                        {{"X-Callback-Token", st.auth->jobToken(id).toUtf8()}});
    EXPECT_EQ(worker.status, 403) << worker.body.toStdString();
}

TEST(JobCallbackUrl, GivenLaterToTheApiTokenOnlyAndItWorks)
{
    Stack st(StackOptions().trustLoopback());
    const auto created =
        cdtest::postJson(st.port(), "/api/crawler/start",
                         QJsonObject{{QStringLiteral("keywords"), QJsonArray{QStringLiteral("x")}}}, kToken);
    ASSERT_EQ(created.status, 200) << created.body.toStdString();
    const QString id = created.json().value(QStringLiteral("job_id")).toString();
    const QString fromCreate = created.json().value(QStringLiteral("callback_url")).toString();
    ASSERT_FALSE(fromCreate.isEmpty());

    // Later, from the job itself, to the holder of the API token: the same URL.
    const auto withToken = cdtest::getJson(st.port(), "/api/jobs/" + id.toUtf8(), kToken);
    ASSERT_EQ(withToken.status, 200);
    EXPECT_EQ(withToken.json().value(QStringLiteral("callback_url")).toString(), fromCreate);
    EXPECT_EQ(fromCreate, st.callbackUrlFor(id));

    // A client admitted without the token (trusted loopback) reads the job, not its credential.
    const auto trusted = cdtest::getJson(st.port(), "/api/jobs/" + id.toUtf8());
    ASSERT_EQ(trusted.status, 200) << trusted.body.toStdString();
    EXPECT_EQ(trusted.json().value(QStringLiteral("id")).toString(), id);
    EXPECT_FALSE(trusted.json().contains(QStringLiteral("callback_url")));
    EXPECT_FALSE(trusted.body.contains(st.auth->jobToken(id).toUtf8()));
    // Nor does the list carry it.
    const auto list = cdtest::getJson(st.port(), "/api/jobs", kToken);
    EXPECT_FALSE(list.body.contains("callback_url"));

    // The URL as given takes the worker's lines.
    const QUrl url(withToken.json().value(QStringLiteral("callback_url")).toString());
    const auto posted = cdtest::postJson(
        st.port(), url.path(QUrl::FullyEncoded).toUtf8() + '?' + url.query(QUrl::FullyEncoded).toUtf8(),
        QJsonObject{{QStringLiteral("job_id"), id}, {QStringLiteral("message"), QStringLiteral("hi")}});
    EXPECT_EQ(posted.status, 200) << posted.body.toStdString();
}
