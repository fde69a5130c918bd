#include "logline.h"

#include "job.h"

namespace cd::model {

namespace {
template<typename E> struct Named
{
    E value;
    const char16_t *name;
};
constexpr Named<LogLevel> kLevels[] = {
    {LogLevel::Debug, u"DEBUG"},     {LogLevel::Info, u"INFO"},   {LogLevel::Success, u"SUCCESS"},
    {LogLevel::Warning, u"WARNING"}, {LogLevel::Error, u"ERROR"}, {LogLevel::Summary, u"SUMMARY"},
};
constexpr Named<LogSource> kSources[] = {
    {LogSource::Stdout, u"stdout"}, {LogSource::Stderr, u"stderr"}, {LogSource::Callback, u"callback"},
    {LogSource::RunPod, u"runpod"}, {LogSource::System, u"system"},
};

template<typename E, std::size_t N> QString nameOf(const Named<E> (&table)[N], E v)
{
    for (const auto &n : table)
        if (n.value == v)
            return QString::fromUtf16(n.name);
    return {};
}

template<typename E, std::size_t N> std::optional<E> valueOf(const Named<E> (&table)[N], QStringView text)
{
    for (const auto &n : table)
        if (text.compare(QStringView(n.name), Qt::CaseInsensitive) == 0)
            return n.value;
    return std::nullopt;
}
} // namespace

QString toString(LogLevel level)
{
    return nameOf(kLevels, level);
}
std::optional<LogLevel> logLevelFromString(QStringView text)
{
    return valueOf(kLevels, text);
}
QString toString(LogSource source)
{
    return nameOf(kSources, source);
}
std::optional<LogSource> logSourceFromString(QStringView text)
{
    return valueOf(kSources, text);
}

QJsonObject LogLine::toJson() const
{
    return QJsonObject{
        {QStringLiteral("seq"), seq},
        {QStringLiteral("ts"), isoUtc(ts)},
        {QStringLiteral("level"), toString(level)},
        {QStringLiteral("message"), message},
        {QStringLiteral("source"), toString(source)},
    };
}

} // namespace cd::model
