#include "crawler/htmlpage.h"
#include "crawler/robotsrules.h"

#include <gtest/gtest.h>

using namespace cd::crawler;

TEST(RobotsRules, GroupsLongestMatchWildcardsAndDelay)
{
    const QByteArray txt =
        "# comment\n"
        "User-agent: OtherBot\nDisallow: /\n\n"
        "User-agent: *\nDisallow: /private\nAllow: /private/ok\nDisallow: /*.pdf$\nCrawl-delay: 1.5\n\n"
        "User-agent: crawldeckbot\nUser-agent: friend\nDisallow: /only-us\n";
    const auto star = RobotsRules::parse(txt, QStringLiteral("SomeBot/1.0"));
    EXPECT_FALSE(star.allowed(QStringLiteral("/private/x")));
    EXPECT_TRUE(star.allowed(QStringLiteral("/private/ok/page")));
    EXPECT_FALSE(star.allowed(QStringLiteral("/docs/a.pdf")));
    EXPECT_TRUE(star.allowed(QStringLiteral("/docs/a.pdf?x=1")));
    EXPECT_TRUE(star.allowed(QStringLiteral("/public")));
    EXPECT_EQ(star.crawlDelayMs(), 1500);
    const auto ours = RobotsRules::parse(txt, QStringLiteral("CrawldeckBot/0.1"));
    EXPECT_FALSE(ours.allowed(QStringLiteral("/only-us")));
    EXPECT_TRUE(ours.allowed(QStringLiteral("/private/x"))); // our own group replaces '*'
    EXPECT_TRUE(RobotsRules::parse("", QStringLiteral("x")).allowed(QStringLiteral("/")));
    EXPECT_FALSE(RobotsRules::disallowAll().allowed(QStringLiteral("/anything")));
}

TEST(HtmlPage, DecodesCharsetsAndExtractsTitleLinksAndVisibleText)
{
    const QUrl base(QStringLiteral("http://example.test/dir/page.html"));
    const auto latin = HtmlPage::parse("<title>Caf\xe9</title><body>cr\xe8me</body>",
                                       QStringLiteral("text/html; charset=ISO-8859-1"), base);
    EXPECT_EQ(latin.title, QStringLiteral("Café"));
    EXPECT_TRUE(latin.text.contains(QStringLiteral("crème")));
    const auto meta =
        HtmlPage::parse("<meta charset=\"windows-1252\"><p>\x93quoted\x94</p>", QStringLiteral("text/html"), base);
    EXPECT_TRUE(meta.text.contains(QStringLiteral("“quoted”")))
        << meta.text.toStdString() << " " << meta.charset.toStdString();
    const auto utf8 = HtmlPage::parse(
        "<html><head><title> A &amp; B </title><script>var solar=1</script><style>.x{}</style></head>"
        "<body><!-- hidden solar --><a href='../up.html#frag'>u</a><a href=\"https://other.test/x\">o</a>"
        "<a href=mailto:a@b>m</a><a href=\"#local\">l</a><p>Visible &#233;t&#xE9;</p></body></html>",
        QString(), base);
    EXPECT_EQ(utf8.title, QStringLiteral("A & B"));
    EXPECT_FALSE(utf8.text.contains(QStringLiteral("solar")));
    EXPECT_TRUE(utf8.text.contains(QStringLiteral("Visible été")));
    ASSERT_EQ(utf8.links.size(), 2);
    EXPECT_EQ(utf8.links.at(0).toString(), QStringLiteral("http://example.test/up.html"));
    EXPECT_EQ(utf8.links.at(1).toString(), QStringLiteral("https://other.test/x"));
}

TEST(KeywordMatcher, WholeWordsCaseInsensitiveMultiWord)
{
    KeywordMatcher m({QStringLiteral("solar"), QStringLiteral("heat pump"), QStringLiteral("café")});
    EXPECT_EQ(m.matches(QStringLiteral("SOLAR power")), QStringList{QStringLiteral("solar")});
    EXPECT_TRUE(m.matches(QStringLiteral("solarium and parasolar")).isEmpty());
    EXPECT_EQ(m.matches(QStringLiteral("a Heat\n  Pump here")), QStringList{QStringLiteral("heat pump")});
    EXPECT_TRUE(m.matches(QStringLiteral("heat pumps")).isEmpty());
    EXPECT_EQ(m.matches(QStringLiteral("Un CAFÉ noir")), QStringList{QStringLiteral("café")});
}

TEST(Urls, NormalisationAndDomains)
{
    EXPECT_EQ(normalizeUrl(QUrl(QStringLiteral("HTTP://Example.TEST:80/a/./b/../c#x"))).toString(),
              QStringLiteral("http://example.test/a/c"));
    EXPECT_EQ(normalizeUrl(QUrl(QStringLiteral("https://example.test"))).toString(),
              QStringLiteral("https://example.test/"));
    EXPECT_EQ(normalizeUrl(QUrl(QStringLiteral("http://e.test:8080/?q=1"))).toString(),
              QStringLiteral("http://e.test:8080/?q=1"));
    EXPECT_EQ(domainOf(QUrl(QStringLiteral("http://WWW.Example.test/x"))), QStringLiteral("example.test"));
}
