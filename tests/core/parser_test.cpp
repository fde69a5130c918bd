#include "logs/logparser.h"

#include <gtest/gtest.h>

using cd::logs::LogParser;
using cd::model::LogLevel;
using cd::model::LogSource;

namespace {
cd::logs::ParsedLine p(const char *text, LogSource src = LogSource::Stdout)
{
    return LogParser::parse(QByteArray(text), src);
}
} // namespace

TEST(LogParser, EveryTagMapsToItsLevelCaseInsensitively)
{
    EXPECT_EQ(p("[INFO] a").level, LogLevel::Info);
    EXPECT_EQ(p("[info] a").level, LogLevel::Info);
    EXPECT_EQ(p("[SUCCESS] a").level, LogLevel::Success);
    EXPECT_EQ(p("[Success] a").level, LogLevel::Success);
    EXPECT_EQ(p("[WARNING] a").level, LogLevel::Warning);
    EXPECT_EQ(p("[warn] a").level, LogLevel::Warning);
    EXPECT_EQ(p("[ERROR] a").level, LogLevel::Error);
    EXPECT_EQ(p("  [error] indented").level, LogLevel::Error);
    EXPECT_EQ(p("[DEBUG] a").level, LogLevel::Debug);
    EXPECT_EQ(p("[SUMMARY] {}").level, LogLevel::Summary);
}

TEST(LogParser, UntaggedLinesTakeTheirLevelFromTheStream)
{
    EXPECT_EQ(p("plain", LogSource::Stdout).level, LogLevel::Info);
    EXPECT_EQ(p("plain", LogSource::Stderr).level, LogLevel::Warning);
    EXPECT_EQ(p("plain", LogSource::Callback).level, LogLevel::Info);
    // A tag in the middle of a line is not a tag.
    EXPECT_EQ(p("see [ERROR] later", LogSource::Stdout).level, LogLevel::Info);
}

TEST(LogParser, MessageKeepsTheWholeLineButDropsLineEndings)
{
    EXPECT_EQ(p("[INFO] Test log 1\r\n").message, QStringLiteral("[INFO] Test log 1"));
}

TEST(LogParser, ProgressIsFoundAnywhereAndClamped)
{
    EXPECT_EQ(p("[INFO] Progress: 40% - Generated domain 2/5").progress, 40);
    EXPECT_EQ(p("progress:7%").progress, 7);
    EXPECT_EQ(p("Overall PROGRESS :  99.6 %").progress, 99);
    EXPECT_EQ(p("Progress: 250%").progress, 100);
    EXPECT_FALSE(p("Progress: soon").progress.has_value());
    EXPECT_FALSE(p("40% done").progress.has_value());
}

TEST(LogParser, SummaryJsonValidInvalidAndNotAnObject)
{
    const auto ok = p(R"([SUMMARY] {"status": "success", "domains_generated": {"success": 5, "total": 5}})");
    ASSERT_TRUE(ok.summary.has_value());
    EXPECT_EQ(
        ok.summary->value(QStringLiteral("domains_generated")).toObject().value(QStringLiteral("success")).toInt(), 5);
    EXPECT_TRUE(ok.summaryError.isEmpty());

    const auto bad = p("[SUMMARY] {not json");
    EXPECT_FALSE(bad.summary.has_value());
    EXPECT_TRUE(bad.summaryError.contains(QStringLiteral("not valid JSON")));
    EXPECT_EQ(bad.message, QStringLiteral("[SUMMARY] {not json")); // the line itself is kept

    const auto arr = p("[SUMMARY] [1,2]");
    EXPECT_FALSE(arr.summary.has_value());
    EXPECT_TRUE(arr.summaryError.contains(QStringLiteral("not an object")));
}

TEST(LogParser, LinesOverTheCapAreCutWithAVisibleMarker)
{
    QByteArray big(LogParser::kMaxLineBytes + 5000, 'x');
    const auto r = LogParser::parse(big, LogSource::Stdout);
    EXPECT_TRUE(r.truncated);
    EXPECT_TRUE(r.message.contains(QStringLiteral("line truncated: 5000 bytes omitted")));
    EXPECT_LE(r.message.toUtf8().size(), LogParser::kMaxLineBytes + 100);

    const QByteArray exact(LogParser::kMaxLineBytes, 'y');
    EXPECT_FALSE(LogParser::parse(exact, LogSource::Stdout).truncated);
}

TEST(LogParser, CapNeverSplitsAMultiByteCharacter)
{
    // 'é' is two bytes; place one across the cut point.
    QByteArray s(LogParser::kMaxLineBytes - 1, 'a');
    s += "\xC3\xA9";
    s += QByteArray(10, 'b');
    const auto r = LogParser::parse(s, LogSource::Stdout);
    EXPECT_TRUE(r.truncated);
    EXPECT_FALSE(r.message.contains(QChar::ReplacementCharacter));
}

TEST(LogParser, InvalidUtf8IsReplacedNotDropped)
{
    const auto r = LogParser::parse(QByteArray("[ERROR] bad \xFF\xFE bytes"), LogSource::Stdout);
    EXPECT_EQ(r.level, LogLevel::Error);
    EXPECT_TRUE(r.message.contains(QChar::ReplacementCharacter));
    EXPECT_TRUE(r.message.endsWith(QStringLiteral("bytes")));
}

TEST(LogParser, NulCharactersAreReplaced)
{
    const auto r = LogParser::parse(QByteArray("[INFO] a\0b", 10), LogSource::Stdout);
    EXPECT_EQ(r.message, QStringLiteral("[INFO] a\uFFFDb"));
    EXPECT_FALSE(LogParser::parse(QString(QStringLiteral("x") + QChar(u'\0')), LogSource::Callback)
                     .message.contains(QChar(u'\0')));
}
