#include "jobs/jobspec.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <gtest/gtest.h>

using namespace cd;
using jobs::Origin;

namespace {

QJsonObject json(const char *text)
{
    return QJsonDocument::fromJson(QByteArray(text)).object();
}

// The detail of the refusal, or "" when the body was accepted.
QString refusal(const char *body, Origin origin = Origin::Api)
{
    const auto spec = jobs::fromJson(json(body), origin);
    if (spec)
        return {};
    EXPECT_EQ(spec.error().code, Error::Code::Unprocessable);
    return spec.error().detail;
}

} // namespace

TEST(JobSpec, SeedBodyBecomesParamsWithTheSeedDefaults)
{
    const auto s = jobs::fromJson(json(R"({"keywords":[" solar ",""],"domain_count":"3"})"), Origin::SeedStart);
    ASSERT_TRUE(s.ok()) << s.error().detail.toStdString();
    EXPECT_EQ(s->params.value(QStringLiteral("keywords")), QJsonValue(QJsonArray{QStringLiteral("solar")}));
    EXPECT_EQ(s->params.value(QStringLiteral("domain_count")).toInt(), 3);
    EXPECT_EQ(s->backend, model::Backend::Local);
    // No profile and no start URLs on the seed route: an external worker reports.
    EXPECT_TRUE(jobs::isExternal(s->params));

    const auto d = jobs::fromJson(json(R"({"keywords":"solar"})"), Origin::SeedStart);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->params.value(QStringLiteral("domain_count")).toInt(), 5);
}

TEST(JobSpec, TheExternalRuleOnlyAppliesToTheSeedRouteWithNothingToCrawl)
{
    const auto withUrls =
        jobs::fromJson(json(R"({"keywords":["a"],"start_urls":["https://example.com/"]})"), Origin::SeedStart);
    ASSERT_TRUE(withUrls.ok());
    EXPECT_FALSE(withUrls->params.contains(QStringLiteral("profile")));
    const auto withProfile = jobs::fromJson(json(R"({"keywords":["a"],"profile":"scrapy"})"), Origin::SeedStart);
    ASSERT_TRUE(withProfile.ok());
    EXPECT_EQ(withProfile->params.value(QStringLiteral("profile")).toString(), QStringLiteral("scrapy"));
    const auto remote = jobs::fromJson(json(R"({"keywords":["a"],"backend":"runpod"})"), Origin::SeedStart);
    ASSERT_TRUE(remote.ok());
    EXPECT_FALSE(jobs::isExternal(remote->params));
    const auto api = jobs::fromJson(json(R"({"keywords":["a"]})"), Origin::Api);
    ASSERT_TRUE(api.ok());
    EXPECT_FALSE(jobs::isExternal(api->params));
    EXPECT_FALSE(api->params.contains(QStringLiteral("domain_count")));
}

TEST(JobSpec, LaxIntegersAsPydanticReadThem)
{
    EXPECT_EQ(jobs::laxInt(QJsonValue(3)), 3);
    EXPECT_EQ(jobs::laxInt(QJsonValue(3.0)), 3);
    EXPECT_EQ(jobs::laxInt(QJsonValue(QStringLiteral(" 42 "))), 42);
    EXPECT_EQ(jobs::laxInt(QJsonValue(true)), 1);
    EXPECT_FALSE(jobs::laxInt(QJsonValue(2.5)));
    EXPECT_FALSE(jobs::laxInt(QJsonValue(QStringLiteral("lots"))));
    EXPECT_FALSE(jobs::laxInt(QJsonValue(QStringLiteral("3.0"))));
    EXPECT_FALSE(jobs::laxInt(QJsonValue(1e300)));
    EXPECT_FALSE(jobs::laxInt(QJsonValue(QJsonArray{3})));
    EXPECT_FALSE(jobs::laxInt(QJsonValue()));
}

TEST(JobSpec, RefusalsNameTheField)
{
    EXPECT_TRUE(refusal(R"({"start_url":[]})").contains(QStringLiteral("did you mean 'start_urls'?")));
    EXPECT_TRUE(refusal(R"({"domain_count":null})").contains(QStringLiteral("'domain_count' is null")));
    EXPECT_TRUE(refusal(R"({"params":{"domain_count":null}})").contains(QStringLiteral("'params.domain_count'")));
    EXPECT_TRUE(refusal(R"({"keywords":{"a":1}})").contains(QStringLiteral("'keywords'")));
    EXPECT_TRUE(refusal(R"({"max_attempts":"many"})").contains(QStringLiteral("'max_attempts'")));
    EXPECT_TRUE(refusal(R"({"timeout_s":2592001})").contains(QStringLiteral("'timeout_s'")));
    EXPECT_TRUE(refusal(R"({"start_urls":["http://"]})").contains(QStringLiteral("'start_urls'")));
    EXPECT_TRUE(refusal(R"({"start_urls":[7]})").contains(QStringLiteral("not a string")));
    EXPECT_TRUE(refusal(R"({"num_domains":2,"domain_count":3})").contains(QStringLiteral("'num_domains'")));
    EXPECT_TRUE(refusal(R"({"profile":"a","params":{"profile":"b"}})").contains(QStringLiteral("'profile'")));
    EXPECT_TRUE(refusal(R"({})", Origin::SeedStart).contains(QStringLiteral("'keywords' is required")));
    // The same value given twice is not ambiguous.
    EXPECT_EQ(refusal(R"({"profile":"a","params":{"profile":"a"},"num_domains":"2","domain_count":2})"), QString());
}

TEST(JobSpec, SuggestionsOnlyForNearNames)
{
    const QStringList known = jobs::knownFields();
    EXPECT_EQ(jobs::suggestion(QStringLiteral("start_url"), known), QStringLiteral(" (did you mean 'start_urls'?)"));
    EXPECT_EQ(jobs::suggestion(QStringLiteral("Keywords"), known), QStringLiteral(" (did you mean 'keywords'?)"));
    EXPECT_EQ(jobs::suggestion(QStringLiteral("timeout"), known), QStringLiteral(" (did you mean 'timeout_s'?)"));
    EXPECT_EQ(jobs::suggestion(QStringLiteral("colour"), known), QString());
    const Error e = jobs::unknownKeys({QStringLiteral("a"), QStringLiteral("kindd")}, known);
    EXPECT_EQ(e.code, Error::Code::Unprocessable);
    EXPECT_TRUE(e.detail.startsWith(QStringLiteral("unknown fields 'a', 'kindd' (did you mean 'kind'?)")))
        << e.detail.toStdString();
}

TEST(JobSpec, CrawlerParamsAreCheckedWithTheWorkersParser)
{
    const QJsonObject ok = json(R"({"keywords":["a"],"start_urls":["http://example.com/"],"max_pages":10,
                                    "same_site_only":true,"profile":"crawler"})");
    EXPECT_TRUE(jobs::checkCrawlerParams(ok).ok());
    QJsonObject lots = ok;
    lots.insert(QStringLiteral("max_pages"), QStringLiteral("lots"));
    EXPECT_TRUE(jobs::checkCrawlerParams(lots).error().detail.contains(QStringLiteral("'max_pages'")));
    QJsonObject fraction = ok;
    fraction.insert(QStringLiteral("max_depth"), 1.5);
    EXPECT_TRUE(jobs::checkCrawlerParams(fraction).error().detail.contains(QStringLiteral("'max_depth'")));
    QJsonObject typo = ok;
    typo.insert(QStringLiteral("delay"), 100);
    const auto st = jobs::checkCrawlerParams(typo);
    ASSERT_FALSE(st.ok());
    EXPECT_TRUE(st.error().detail.contains(QStringLiteral("'params.delay' (did you mean 'delay_ms'?)")))
        << st.error().detail.toStdString();
    QJsonObject agent = ok;
    agent.insert(QStringLiteral("user_agent"), 5);
    EXPECT_TRUE(jobs::checkCrawlerParams(agent).error().detail.contains(QStringLiteral("'user_agent'")));
}
