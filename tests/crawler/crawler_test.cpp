// The built-in crawler (`crawldeck worker crawl`, the real binary) and the sample workers, run as
// local jobs through the HTTP API against a multi-host test site on loopback addresses.
#include "stack.h"
#include "testsite.h"
#include "testutil.h"

#include <QFile>
#include <QJsonArray>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QTcpServer>

#include <gtest/gtest.h>

using namespace cd;
using cdtest::Stack;
using cdtest::StackOptions;
using cdtest::TestSite;
using model::JobStatus;

namespace {

// The Python that has Scrapy: Debian's python3-scrapy installs for /usr/bin/python3, which may
// not be the first python3 on PATH.
QString scrapyPython()
{
    static const QString found = [] {
        for (const QString &py : {QStringLiteral("/usr/bin/python3"), QStringLiteral("python3")}) {
            QProcess probe;
            probe.start(py, {QStringLiteral("-c"), QStringLiteral("import scrapy")});
            if (probe.waitForFinished(30000) && probe.exitStatus() == QProcess::NormalExit && probe.exitCode() == 0)
                return py;
        }
        return QString();
    }();
    return found;
}

QMap<QString, QString> profiles()
{
    return {
        {QStringLiteral("crawler"),
         QStringLiteral(CRAWLDECK_BINARY " worker crawl --params {params_file} --output {output_dir}")},
        {QStringLiteral("scrapy"),
         scrapyPython() + QStringLiteral(" -m scrapy runspider " CD_SOURCE_DIR
                                         "/resources/workers/scrapy/domains_spider.py -a params_file={params_file}")},
        {QStringLiteral("pycrawler"),
         QStringLiteral("python3 " CD_SOURCE_DIR "/resources/workers/python/crawler.py {params_file}")}};
}

QString startCrawl(Stack &st, const QString &startUrl, const QJsonObject &extra,
                   const QString &profile = QStringLiteral("crawler"))
{
    QJsonObject params{
        {QStringLiteral("delay_ms"), 0}, {QStringLiteral("concurrency"), 4}, {QStringLiteral("timeout_s"), 5}};
    for (auto it = extra.begin(); it != extra.end(); ++it)
        params.insert(it.key(), it.value());
    const QJsonObject body{{QStringLiteral("keywords"), QJsonArray{QStringLiteral("solar"), QStringLiteral("café")}},
                           {QStringLiteral("domain_count"), params.value(QStringLiteral("domain_count")).toInt(10)},
                           {QStringLiteral("start_urls"), QJsonArray{startUrl}},
                           {QStringLiteral("profile"), profile},
                           {QStringLiteral("params"), params}};
    const auto r = cdtest::postJson(st.port(), "/api/crawler/start", body, Stack::kToken);
    EXPECT_EQ(r.status, 200) << r.body.toStdString();
    return r.json().value(QStringLiteral("job_id")).toString();
}

QString describe(Stack &st, const QString &id)
{
    QStringList lines;
    for (const auto &l : st.logs->lines(store::LogQuery{id, 0, 10000, {}, {}}))
        lines << l.message;
    return st.jobs->job(id)->error + u'\n' + lines.join(u'\n');
}

QList<QStringList> csvRows(const QString &path)
{
    QFile f(path);
    QList<QStringList> rows;
    if (!f.open(QIODevice::ReadOnly))
        return rows;
    const QList<QByteArray> lines = f.readAll().split('\n');
    for (qsizetype i = 1; i < lines.size(); ++i)
        if (!lines.at(i).trimmed().isEmpty())
            rows << QString::fromUtf8(lines.at(i)).split(u',');
    return rows;
}

QList<QJsonObject> pages(const QString &path)
{
    QFile f(path);
    QList<QJsonObject> out;
    if (f.open(QIODevice::ReadOnly))
        for (const QByteArray &l : f.readAll().split('\n'))
            if (!l.isEmpty())
                out << QJsonDocument::fromJson(l).object();
    return out;
}

QSet<QString> domains(const QString &csvPath)
{
    QSet<QString> out;
    for (const auto &row : csvRows(csvPath))
        out.insert(row.value(0));
    return out;
}

} // namespace

TEST(BuiltInCrawler, FindsExactlyTheKeywordDomainsObeyingRobotsAcrossHostsAndCharsets)
{
    TestSite site;
    const QString start = site.buildStandardWeb();
    Stack st(StackOptions().withProfiles(profiles()));
    const QString id = startCrawl(st, start, {});
    ASSERT_TRUE(cdtest::waitUntil([&] { return model::isTerminal(st.jobs->job(id)->status); }, 30000));
    ASSERT_EQ(st.jobs->job(id)->status, JobStatus::Completed) << describe(st, id).toStdString();
    const QString out = st.artifacts->outputDir(id);

    // 127.0.0.2 only through its Latin-1 "café" page; .3 on its front page; .4 two levels down;
    // .5 mentions "solar" but robots.txt forbids everything; "solarium" is not a whole word.
    EXPECT_EQ(domains(out + QStringLiteral("/domains.csv")),
              (QSet<QString>{QStringLiteral("127.0.0.2"), QStringLiteral("127.0.0.3"), QStringLiteral("127.0.0.4")}));
    for (const auto &row : csvRows(out + QStringLiteral("/domains.csv"))) {
        if (row.value(0) == u"127.0.0.2") {
            EXPECT_TRUE(row.value(1).endsWith(QStringLiteral("/latin")));
            EXPECT_EQ(row.value(2), QStringLiteral("café"));
            EXPECT_EQ(row.value(3), QStringLiteral("Café"));
        }
        if (row.value(0) == u"127.0.0.4") {
            EXPECT_TRUE(row.value(1).endsWith(QStringLiteral("/deep")));
        }
    }

    const auto recs = pages(out + QStringLiteral("/pages.jsonl"));
    QStringList urls;
    for (const auto &r : recs)
        urls << r.value(QStringLiteral("url")).toString();
    EXPECT_FALSE(urls.join(u' ').contains(QStringLiteral("/private")));
    EXPECT_EQ(site.requestedPaths(site.host(5)), QStringList{QStringLiteral("/robots.txt")});
    EXPECT_FALSE(site.requestedPaths(site.host(2)).contains(QStringLiteral("/private/solar.html")));
    EXPECT_EQ(urls.count(site.host(2) + QStringLiteral("/loop")), 1);
    EXPECT_EQ(urls.removeDuplicates(), 0); // every URL at most once
    for (const auto &r : recs) {
        const QString u = r.value(QStringLiteral("url")).toString();
        if (u.endsWith(QStringLiteral("/redirect"))) {
            EXPECT_TRUE(r.value(QStringLiteral("final_url")).toString().endsWith(QStringLiteral("/target")));
        }
        if (u.endsWith(QStringLiteral("/missing"))) {
            EXPECT_EQ(r.value(QStringLiteral("error")).toString(), QStringLiteral("HTTP 404"));
        }
        if (u.endsWith(QStringLiteral("/file.bin"))) {
            EXPECT_EQ(r.value(QStringLiteral("skipped")).toString(), QStringLiteral("not HTML"));
        }
        if (u.endsWith(QStringLiteral("/slow"))) {
            EXPECT_EQ(r.value(QStringLiteral("status")).toInt(), 200);
        }
    }

    const auto job = st.jobs->job(id).value();
    const QJsonObject s = job.summary;
    EXPECT_EQ(s.value(QStringLiteral("domains_generated")).toObject().value(QStringLiteral("success")).toInt(), 3);
    EXPECT_EQ(s.value(QStringLiteral("domains_generated")).toObject().value(QStringLiteral("total")).toInt(), 10);
    EXPECT_EQ(s.value(QStringLiteral("stopped_by")).toString(), QStringLiteral("frontier_exhausted"));
    EXPECT_EQ(s.value(QStringLiteral("errors")).toInt(), 1); // the 404
    EXPECT_GE(s.value(QStringLiteral("robots_blocked")).toInt(), 2);
    int okPages = 0;
    for (const auto &r : recs)
        okPages += r.value(QStringLiteral("status")).toInt() == 200 && !r.contains(QStringLiteral("skipped")) ? 1 : 0;
    EXPECT_EQ(s.value(QStringLiteral("pages")).toInt(), okPages);
    EXPECT_EQ(job.progress, 100);
    EXPECT_TRUE(describe(st, id).contains(QStringLiteral("robots.txt disallows ") + site.host(2) +
                                          QStringLiteral("/private/solar.html")));
}

TEST(BuiltInCrawler, StopsAtTheDomainCountAndAtThePageBudget)
{
    TestSite site;
    const QString start = site.buildStandardWeb();
    Stack st(StackOptions().withProfiles(profiles()));
    const QString one =
        startCrawl(st, start, {{QStringLiteral("domain_count"), 1}, {QStringLiteral("concurrency"), 1}});
    ASSERT_TRUE(cdtest::waitUntil([&] { return st.jobs->job(one)->status == JobStatus::Completed; }, 30000))
        << describe(st, one).toStdString();
    EXPECT_EQ(domains(st.artifacts->outputDir(one) + QStringLiteral("/domains.csv")),
              QSet<QString>{QStringLiteral("127.0.0.3")});
    EXPECT_EQ(st.jobs->job(one)->summary.value(QStringLiteral("stopped_by")).toString(),
              QStringLiteral("domain_count"));
    EXPECT_EQ(st.jobs->job(one)->summary.value(QStringLiteral("status")).toString(), QStringLiteral("success"));

    const QString budget =
        startCrawl(st, start, {{QStringLiteral("max_pages"), 2}, {QStringLiteral("concurrency"), 1}});
    ASSERT_TRUE(cdtest::waitUntil([&] { return st.jobs->job(budget)->status == JobStatus::Completed; }, 30000))
        << describe(st, budget).toStdString();
    EXPECT_TRUE(domains(st.artifacts->outputDir(budget) + QStringLiteral("/domains.csv")).isEmpty());
    EXPECT_EQ(st.jobs->job(budget)->summary.value(QStringLiteral("stopped_by")).toString(),
              QStringLiteral("page_budget"));
    EXPECT_EQ(pages(st.artifacts->outputDir(budget) + QStringLiteral("/pages.jsonl")).size(), 2);
}

TEST(BuiltInCrawler, CancelMidCrawlKeepsThePartialOutput)
{
    TestSite site;
    const QString a = site.addHost(6);
    // A long chain of slow pages: the crawl is still busy when it is cancelled.
    site.addSlowChain(a, 50, 150);
    Stack st(StackOptions().withProfiles(profiles()));
    const QString id = startCrawl(st, a + QStringLiteral("/p0"), {{QStringLiteral("max_depth"), 100}});
    ASSERT_TRUE(cdtest::waitUntil([&] { return describe(st, id).contains(QStringLiteral("/p3 ")); }, 20000))
        << describe(st, id).toStdString();
    ASSERT_EQ(cdtest::postJson(st.port(), "/api/crawler/cancel/" + id.toUtf8(), {}, Stack::kToken).status, 200);
    ASSERT_TRUE(cdtest::waitUntil([&] { return st.jobs->job(id)->status == JobStatus::Cancelled; }, 20000))
        << describe(st, id).toStdString();
    const QString out = st.artifacts->outputDir(id);
    EXPECT_GE(pages(out + QStringLiteral("/pages.jsonl")).size(), 3);
    EXPECT_EQ(domains(out + QStringLiteral("/domains.csv")), QSet<QString>{QStringLiteral("127.0.0.6")});
    EXPECT_TRUE(st.jobs->artifact(id, QStringLiteral("pages.jsonl")).has_value());
    EXPECT_TRUE(describe(st, id).contains(QStringLiteral("stop requested")));
    EXPECT_EQ(st.jobs->job(id)->summary.value(QStringLiteral("stopped_by")).toString(), QStringLiteral("signal"));
}

TEST(BuiltInCrawler, BadParamsFailWithAClearMessage)
{
    Stack st(StackOptions().withProfiles(profiles()));
    const auto r = cdtest::postJson(st.port(), "/api/crawler/start",
                                    QJsonObject{{QStringLiteral("keywords"), QJsonArray{QStringLiteral("x")}},
                                                {QStringLiteral("profile"), QStringLiteral("crawler")}},
                                    Stack::kToken);
    const QString id = r.json().value(QStringLiteral("job_id")).toString();
    ASSERT_TRUE(cdtest::waitUntil([&] { return st.jobs->job(id)->status == JobStatus::Failed; }, 10000));
    EXPECT_TRUE(st.jobs->job(id)->error.contains(QStringLiteral("start_urls")))
        << st.jobs->job(id)->error.toStdString();
}

TEST(SampleWorkers, ScrapySpiderAndStdlibCrawlerRunAsProfiles)
{
    const bool haveScrapy = !scrapyPython().isEmpty();
    TestSite site;
    const QString start = site.buildStandardWeb();
    Stack st(StackOptions().withProfiles(profiles()));
    QStringList runs{QStringLiteral("pycrawler")};
    if (haveScrapy)
        runs << QStringLiteral("scrapy");
    for (const QString &profile : runs) {
        const QString id = startCrawl(st, start, {{QStringLiteral("domain_count"), 3}}, profile);
        ASSERT_TRUE(cdtest::waitUntil([&] { return model::isTerminal(st.jobs->job(id)->status); }, 60000))
            << profile.toStdString();
        ASSERT_EQ(st.jobs->job(id)->status, JobStatus::Completed)
            << profile.toStdString() << describe(st, id).toStdString();
        const QSet<QString> found = domains(st.artifacts->outputDir(id) + QStringLiteral("/domains.csv"));
        EXPECT_TRUE(found.contains(QStringLiteral("127.0.0.3"))) << profile.toStdString();
        EXPECT_TRUE(found.contains(QStringLiteral("127.0.0.4"))) << profile.toStdString();
        EXPECT_FALSE(found.contains(QStringLiteral("127.0.0.5"))) << profile.toStdString();
        EXPECT_EQ(st.jobs->job(id)
                      ->summary.value(QStringLiteral("domains_generated"))
                      .toObject()
                      .value(QStringLiteral("total"))
                      .toInt(),
                  3);
        EXPECT_GT(st.jobs->job(id)->progress, 0);
        // Scrapy's own chatter stays off the console: nothing from its loggers at INFO.
        EXPECT_FALSE(describe(st, id).contains(QStringLiteral("[scrapy.core.engine] INFO"))) << profile.toStdString();
    }
    if (!haveScrapy)
        GTEST_SKIP()
            << "\n\n*** SKIPPED the Scrapy half: python3-scrapy is not installed (scripts/dev.sh installs it) ***\n";
}

// Issue 8: a crawl whose start URLs could not be reached ended "completed" at 100 %.
TEST(Bug, UnreachableStartUrlsFailTheCrawlWithTheReason)
{
    QTcpServer closed; // a port nobody listens on: bound, then released
    ASSERT_TRUE(closed.listen(QHostAddress::LocalHost, 0));
    const QString refused = QStringLiteral("http://127.0.0.1:%1/").arg(closed.serverPort());
    closed.close();
    Stack st(StackOptions().withProfiles(profiles()));
    for (const QString &url : {refused, QStringLiteral("http://no-such-host.invalid/")}) {
        const QString id = startCrawl(st, url, {});
        ASSERT_TRUE(cdtest::waitUntil([&] { return model::isTerminal(st.jobs->job(id)->status); }, 30000));
        const auto job = st.jobs->job(id).value();
        EXPECT_EQ(job.status, JobStatus::Failed) << describe(st, id).toStdString();
        EXPECT_EQ(job.exitCode, 3);
        // The error names the URL and the cause.
        EXPECT_TRUE(job.error.contains(QStringLiteral("[ERROR] no page could be fetched"))) << job.error.toStdString();
        EXPECT_TRUE(job.error.contains(url + QStringLiteral(": unreachable ("))) << job.error.toStdString();
        EXPECT_LT(job.progress, 100);
        EXPECT_EQ(job.summary.value(QStringLiteral("status")).toString(), QStringLiteral("failed"));
        const auto json = cdtest::getJson(st.port(), "/api/jobs/" + id.toUtf8(), Stack::kToken).json();
        EXPECT_EQ(json.value(QStringLiteral("status")).toString(), QStringLiteral("failed"));
        EXPECT_TRUE(json.value(QStringLiteral("outcome")).isNull());
    }
    const QString refusedJob = st.jobs->jobs({}).last().id;
    EXPECT_TRUE(st.jobs->job(refusedJob)->error.contains(QStringLiteral("Connection refused")))
        << st.jobs->job(refusedJob)->error.toStdString();
}

// Issue 8: a crawl that found fewer domains than asked looked like a full success.
TEST(Bug, ACrawlThatFoundFewerDomainsThanAskedIsVisiblyPartial)
{
    TestSite site;
    const QString start = site.buildStandardWeb();
    Stack st(StackOptions().withProfiles(profiles()));
    const QString shortOf = startCrawl(st, start, {{QStringLiteral("domain_count"), 10}});
    const QString enough = startCrawl(st, start, {{QStringLiteral("domain_count"), 1}});
    for (const QString &id : {shortOf, enough})
        ASSERT_TRUE(cdtest::waitUntil([&] { return st.jobs->job(id)->status == JobStatus::Completed; }, 30000))
            << describe(st, id).toStdString();

    const auto partial = cdtest::getJson(st.port(), "/api/jobs/" + shortOf.toUtf8(), Stack::kToken).json();
    EXPECT_EQ(partial.value(QStringLiteral("outcome")).toString(), QStringLiteral("partial"));
    EXPECT_EQ(partial.value(QStringLiteral("status_detail")).toString(), QStringLiteral("completed (partial)"));
    const QJsonObject summary = partial.value(QStringLiteral("summary")).toObject();
    EXPECT_TRUE(summary.value(QStringLiteral("partial")).toBool());
    EXPECT_EQ(summary.value(QStringLiteral("stopped_by")).toString(), QStringLiteral("frontier_exhausted"));
    EXPECT_EQ(st.jobs->job(shortOf)->partialReason(), QStringLiteral("frontier_exhausted"));

    const auto full = cdtest::getJson(st.port(), "/api/jobs/" + enough.toUtf8(), Stack::kToken).json();
    EXPECT_EQ(full.value(QStringLiteral("outcome")).toString(), QStringLiteral("full"));
    EXPECT_EQ(full.value(QStringLiteral("status_detail")).toString(), QStringLiteral("completed"));
    EXPECT_FALSE(full.value(QStringLiteral("summary")).toObject().value(QStringLiteral("partial")).toBool());
}

namespace {
// The percentages of a job's "Progress: N%" lines, in order.
QList<int> progressSteps(Stack &st, const QString &id)
{
    static const QRegularExpression re(QStringLiteral("Progress: (\\d+)%"));
    QList<int> out;
    for (const auto &l : st.logs->lines(store::LogQuery{id, 0, 10000, {}, {}}))
        if (const auto m = re.match(l.message); m.hasMatch())
            out << m.captured(1).toInt();
    return out;
}
} // namespace

// Issue 13: a crawl of 120 pages sat at 2 % (one domain of fifty) and jumped to 100 % at the end.
// Progress is the larger of pages/max_pages and domains found/wanted.
TEST(BuiltInCrawler, ProgressFollowsThePageBudgetWhenFewDomainsAreFound)
{
    TestSite site;
    const QString a = site.addHost(7);
    site.addSlowChain(a, 140, 20); // "solar" on /p1 only: one domain all crawl long
    Stack st(StackOptions().withProfiles(profiles()));
    const QString id = startCrawl(st, a + QStringLiteral("/p0"),
                                  {{QStringLiteral("domain_count"), 50},
                                   {QStringLiteral("max_pages"), 120},
                                   {QStringLiteral("max_depth"), 500},
                                   {QStringLiteral("concurrency"), 1}});
    // Seen while it runs, not only at the end: past a quarter before it is done.
    bool sawMidway = false;
    ASSERT_TRUE(cdtest::waitUntil(
        [&] {
            const auto job = st.jobs->job(id).value();
            sawMidway = sawMidway || (job.status == JobStatus::Running && job.progress >= 25 && job.progress < 100);
            return model::isTerminal(job.status);
        },
        60000));
    ASSERT_EQ(st.jobs->job(id)->status, JobStatus::Completed) << describe(st, id).toStdString();
    EXPECT_TRUE(sawMidway);

    const QList<int> steps = progressSteps(st, id);
    ASSERT_FALSE(steps.isEmpty()) << describe(st, id).toStdString();
    EXPECT_EQ(steps.last(), 100);
    EXPECT_GE(steps.size(), 50); // about one per page: 120 pages, 100 percent
    for (qsizetype i = 1; i < steps.size(); ++i) {
        EXPECT_GT(steps.at(i), steps.at(i - 1));
        EXPECT_LE(steps.at(i) - steps.at(i - 1), 2) << "a jump from " << steps.at(i - 1) << " %";
    }
    // The 60th page is half the budget, while one domain of fifty is 2 %.
    EXPECT_TRUE(describe(st, id).contains(QStringLiteral("Progress: 50% - 1/50 domains, 60/120 pages")))
        << describe(st, id).toStdString();

    const QJsonObject s = st.jobs->job(id)->summary;
    EXPECT_EQ(s.value(QStringLiteral("pages")).toInt(), 120);
    EXPECT_EQ(s.value(QStringLiteral("max_pages")).toInt(), 120);
    EXPECT_EQ(s.value(QStringLiteral("stopped_by")).toString(), QStringLiteral("page_budget"));
    // The closing line says how it went: domains against the wish, pages against the budget, errors.
    EXPECT_TRUE(describe(st, id).contains(QStringLiteral(
        "[WARNING] found 1 of 50 domains in 120 pages (120 of the 120-page budget used), 0 errors; stopped by "
        "page_budget")))
        << describe(st, id).toStdString();
}

TEST(BuiltInCrawler, ProgressFollowsTheDomainsWhenTheyComeFirst)
{
    TestSite site;
    const QString start = site.buildStandardWeb();
    Stack st(StackOptions().withProfiles(profiles()));
    const QString id = startCrawl(
        st, start,
        {{QStringLiteral("domain_count"), 2}, {QStringLiteral("max_pages"), 1000}, {QStringLiteral("concurrency"), 1}});
    ASSERT_TRUE(cdtest::waitUntil([&] { return model::isTerminal(st.jobs->job(id)->status); }, 30000));
    ASSERT_EQ(st.jobs->job(id)->status, JobStatus::Completed) << describe(st, id).toStdString();
    const QList<int> steps = progressSteps(st, id);
    // A handful of pages out of 1000 is under 2 %: the two domains make it 50 %, then 100 %.
    ASSERT_GE(steps.size(), 2) << describe(st, id).toStdString();
    EXPECT_TRUE(steps.contains(50)) << describe(st, id).toStdString();
    EXPECT_EQ(steps.last(), 100);
    EXPECT_EQ(st.jobs->job(id)->summary.value(QStringLiteral("stopped_by")).toString(), QStringLiteral("domain_count"));
    EXPECT_TRUE(describe(st, id).contains(QStringLiteral("[SUCCESS] found 2 of 2 domains in ")))
        << describe(st, id).toStdString();
}

// Issue 13: an operator's cancel was an ERROR ("First error" landed on it), and a timeout said
// "process crashed".
TEST(JobLogWording, ACancelIsAWarningThatSaysWhoAndATimeoutSaysSo)
{
    TestSite site;
    const QString a = site.addHost(8);
    site.addSlowChain(a, 50, 150);
    Stack st(StackOptions().withProfiles({{QStringLiteral("crawler"), profiles().value(QStringLiteral("crawler"))},
                                          {QStringLiteral("sleeper"), QStringLiteral("sleep 30")}}));
    const QString id = startCrawl(st, a + QStringLiteral("/p0"), {{QStringLiteral("max_depth"), 100}});
    ASSERT_TRUE(cdtest::waitUntil([&] { return describe(st, id).contains(QStringLiteral("/p2 ")); }, 20000))
        << describe(st, id).toStdString();
    const auto r = cdtest::postJson(st.port(), "/api/jobs/" + id.toUtf8() + "/cancel", {}, Stack::kToken);
    ASSERT_EQ(r.status, 200) << r.body.toStdString();
    ASSERT_TRUE(cdtest::waitUntil([&] { return st.jobs->job(id)->status == JobStatus::Cancelled; }, 20000));
    EXPECT_EQ(st.jobs->job(id)->error, QStringLiteral("cancelled"));
    const auto errors = st.logs->lines(store::LogQuery{id, 0, 10000, {model::LogLevel::Error}, {}});
    EXPECT_TRUE(errors.isEmpty()) << errors.value(0).message.toStdString();
    const auto warnings = st.logs->lines(store::LogQuery{id, 0, 10000, {model::LogLevel::Warning}, {}});
    QStringList said;
    for (const auto &l : warnings)
        said << l.message;
    EXPECT_TRUE(said.contains(QStringLiteral("cancel requested by API client 127.0.0.1")))
        << said.join(u'\n').toStdString();
    EXPECT_TRUE(said.contains(QStringLiteral("job cancelled by API client 127.0.0.1")))
        << said.join(u'\n').toStdString();

    // `sleep` dies of the SIGTERM that stops it: that is the timeout at work, not a crash.
    const auto timed = cdtest::postJson(
        st.port(), "/api/jobs",
        QJsonObject{{QStringLiteral("profile"), QStringLiteral("sleeper")}, {QStringLiteral("timeout_s"), 1}},
        Stack::kToken);
    ASSERT_EQ(timed.status, 201) << timed.body.toStdString();
    const QString slow = timed.json().value(QStringLiteral("id")).toString();
    ASSERT_TRUE(cdtest::waitUntil([&] { return st.jobs->job(slow)->status == JobStatus::TimedOut; }, 20000))
        << describe(st, slow).toStdString();
    EXPECT_EQ(st.jobs->job(slow)->error, QStringLiteral("timed out after 1 s"));
    const QString log = describe(st, slow);
    EXPECT_TRUE(log.contains(QStringLiteral("timed out after 1 s"))) << log.toStdString();
    EXPECT_FALSE(log.contains(QStringLiteral("crashed"))) << log.toStdString();
}
