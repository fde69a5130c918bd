#include "jobspec.h"

#include "crawler/crawlparams.h"

#include <QJsonArray>
#include <QUrl>

#include <cmath>
#include <limits>

namespace cd::jobs {

using Code = Error::Code;

namespace {

const QString kKeywords = QStringLiteral("keywords");
const QString kDomainCount = QStringLiteral("domain_count");
const QString kNumDomains = QStringLiteral("num_domains");
const QString kStartUrls = QStringLiteral("start_urls");
const QString kProfile = QStringLiteral("profile");
const QString kParams = QStringLiteral("params");

constexpr int kSeedDomainCount = 5;

Error bad(const QString &detail)
{
    return Error::make(Code::Unprocessable, detail);
}

int editDistance(const QString &a, const QString &b)
{
    QList<int> row(b.size() + 1);
    for (qsizetype j = 0; j <= b.size(); ++j)
        row[j] = static_cast<int>(j);
    for (qsizetype i = 1; i <= a.size(); ++i) {
        int diagonal = row[0];
        row[0] = static_cast<int>(i);
        for (qsizetype j = 1; j <= b.size(); ++j) {
            const int above = row[j];
            const int cost = a.at(i - 1).toLower() == b.at(j - 1).toLower() ? 0 : 1;
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
            diagonal = above;
        }
    }
    return row[b.size()];
}

// A field's value, refusing null: a client that sends null meant something, and guessing what
// (absent? empty?) is how jobs get created that nobody asked for.
Result<QJsonValue> present(const QJsonObject &o, const QString &key, const QString &where = {})
{
    const QJsonValue v = o.value(key);
    if (v.isNull())
        return bad(QStringLiteral("'%1%2' is null; leave it out to get its default").arg(where, key));
    return v;
}

// A seed field may sit at the top level or inside params; both is fine only when they agree.
Result<QJsonValue> seedField(const QJsonObject &body, const QJsonObject &params, const QString &key)
{
    const auto top = present(body, key);
    if (!top)
        return top.error();
    const auto inner = present(params, key, kParams + u'.');
    if (!inner)
        return inner.error();
    if (!top->isUndefined() && !inner->isUndefined() && *top != *inner)
        return bad(QStringLiteral("'%1' is given both at the top level and in 'params' with different values; "
                                  "send it once")
                       .arg(key));
    return top->isUndefined() ? *inner : *top;
}

Result<std::optional<int>> intField(const QJsonValue &v, const QString &key, int min, int max)
{
    if (v.isUndefined())
        return std::optional<int>();
    const auto n = laxInt(v);
    if (!n || *n < min || *n > max)
        return bad(QStringLiteral("'%1' must be a whole number from %2 to %3").arg(key).arg(min).arg(max));
    return std::optional<int>(static_cast<int>(*n));
}

Result<QJsonArray> keywordList(const QJsonValue &v)
{
    // One string is one keyword (the seed's RunPod `data`).
    const QJsonArray raw = v.isString() ? QJsonArray{v} : v.toArray();
    if (!v.isString() && !v.isArray())
        return bad(QStringLiteral("'keywords' must be a list of strings (or one string), got %1").arg(typeName(v)));
    QJsonArray clean;
    for (qsizetype i = 0; i < raw.size(); ++i) {
        if (!raw.at(i).isString())
            return bad(QStringLiteral("'keywords' entry %1 is %2, not a string").arg(i).arg(typeName(raw.at(i))));
        const QString k = raw.at(i).toString().trimmed();
        if (!k.isEmpty())
            clean.append(k);
    }
    return clean;
}

Result<QJsonArray> urlList(const QJsonValue &v)
{
    if (!v.isArray())
        return bad(QStringLiteral("'start_urls' must be a list of http(s) URLs, got %1").arg(typeName(v)));
    QJsonArray out;
    const QJsonArray raw = v.toArray();
    for (qsizetype i = 0; i < raw.size(); ++i) {
        const QJsonValue u = raw.at(i);
        if (!u.isString())
            return bad(
                QStringLiteral("'start_urls' entry %1 is %2, not a string (an http(s) URL)").arg(i).arg(typeName(u)));
        const QUrl url(u.toString(), QUrl::StrictMode);
        if (!url.isValid() || (url.scheme() != u"http" && url.scheme() != u"https") || url.host().isEmpty())
            return bad(QStringLiteral("'start_urls' entry '%1' is not an http(s) URL").arg(u.toString()));
        out.append(u);
    }
    return out;
}

// The fields read the same way: refused when null (or, for seed fields, given twice differently),
// left alone when absent, otherwise handed to `read`, which may refuse the value.
struct Field
{
    QString key;
    bool seed; // may also sit inside params
    Status (*read)(const QJsonValue &value, model::JobSpec &spec);
};

Status readBackend(const QJsonValue &v, model::JobSpec &spec)
{
    const auto b = model::backendFromString(v.toString());
    if (!v.isString() || !b)
        return bad(QStringLiteral("'backend' must be one of local, runpod, runpod-pod"));
    spec.backend = *b;
    return Ok{};
}

Status readKind(const QJsonValue &v, model::JobSpec &spec)
{
    if (!v.isString() || v.toString().isEmpty() || v.toString().size() > 64)
        return bad(QStringLiteral("'kind' must be a non-empty string of at most 64 characters"));
    spec.kind = v.toString();
    return Ok{};
}

Status readProfile(const QJsonValue &v, model::JobSpec &spec)
{
    if (!v.isString() || v.toString().isEmpty())
        return bad(QStringLiteral("'profile' must be a non-empty string"));
    spec.params.insert(kProfile, v);
    return Ok{};
}

template<const QString &key, Result<QJsonArray> (*parse)(const QJsonValue &)>
Status readList(const QJsonValue &v, model::JobSpec &spec)
{
    const auto list = parse(v);
    if (!list)
        return list.error();
    spec.params.insert(key, list.value());
    return Ok{};
}

const QList<Field> &fields()
{
    static const QList<Field> all{
        {QStringLiteral("backend"), false, readBackend},
        {QStringLiteral("kind"), false, readKind},
        {kProfile, true, readProfile},
        {kKeywords, true, readList<kKeywords, keywordList>},
        {kStartUrls, true, readList<kStartUrls, urlList>},
    };
    return all;
}

} // namespace

QString typeName(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Null: return QStringLiteral("null");
    case QJsonValue::Bool: return QStringLiteral("a boolean");
    case QJsonValue::Double: return QStringLiteral("a number");
    case QJsonValue::String: return QStringLiteral("a string");
    case QJsonValue::Array: return QStringLiteral("a list");
    case QJsonValue::Object: return QStringLiteral("an object");
    case QJsonValue::Undefined: break;
    }
    return QStringLiteral("nothing");
}

const QStringList &knownFields()
{
    static const QStringList fields{kKeywords,
                                    kDomainCount,
                                    kNumDomains,
                                    kStartUrls,
                                    kProfile,
                                    kParams,
                                    QStringLiteral("backend"),
                                    QStringLiteral("kind"),
                                    QStringLiteral("priority"),
                                    QStringLiteral("timeout_s"),
                                    QStringLiteral("max_attempts")};
    return fields;
}

std::optional<qint64> laxInt(const QJsonValue &v)
{
    double d = 0;
    if (v.isBool())
        return v.toBool() ? 1 : 0;
    if (v.isDouble()) {
        d = v.toDouble();
    } else if (v.isString()) {
        bool ok = false;
        const qint64 n = v.toString().trimmed().toLongLong(&ok);
        if (ok)
            return n;
        return std::nullopt;
    } else {
        return std::nullopt;
    }
    constexpr double kLimit = 9007199254740992.0; // 2^53: beyond it a double is no longer exact
    if (!std::isfinite(d) || std::trunc(d) != d || std::fabs(d) > kLimit)
        return std::nullopt;
    return static_cast<qint64>(d);
}

QString suggestion(const QString &name, const QStringList &known)
{
    QString best;
    int bestDistance = std::numeric_limits<int>::max();
    for (const QString &k : known) {
        const int d = editDistance(name, k);
        if (d < bestDistance) {
            best = k;
            bestDistance = d;
        }
    }
    // Close enough to be a typo: two edits, or a third of the name for long ones.
    if (!best.isEmpty() && bestDistance <= std::max<qsizetype>(2, name.size() / 3))
        return QStringLiteral(" (did you mean '%1'?)").arg(best);
    // Or the name without its unit or suffix (`delay` for `delay_ms`).
    if (name.size() >= 4)
        for (const QString &k : known)
            if (k.startsWith(name, Qt::CaseInsensitive))
                return QStringLiteral(" (did you mean '%1'?)").arg(k);
    return {};
}

Error unknownKeys(const QStringList &unknown, const QStringList &known, const QString &where)
{
    QStringList named;
    for (const QString &u : unknown)
        named << QStringLiteral("'%1%2'%3").arg(where, u, suggestion(u, known));
    return bad(QStringLiteral("unknown field%1 %2; accepted: %3")
                   .arg(unknown.size() == 1 ? QString() : QStringLiteral("s"), named.join(QStringLiteral(", ")),
                        known.join(QStringLiteral(", "))));
}

bool isExternal(const QJsonObject &params)
{
    return params.value(kProfile).toString() == kExternalProfile;
}

bool waitsForExternalWorker(const model::JobSpec &spec, Origin origin)
{
    return origin == Origin::SeedStart && spec.backend == model::Backend::Local && !spec.params.contains(kProfile) &&
           spec.params.value(kStartUrls).toArray().isEmpty();
}

Status checkCrawlerParams(const QJsonObject &params)
{
    QStringList known = crawler::CrawlParams::keys();
    known << kProfile;
    QStringList unknown;
    for (auto it = params.begin(); it != params.end(); ++it)
        if (!known.contains(it.key()))
            unknown << it.key();
    if (!unknown.isEmpty())
        return unknownKeys(unknown, known, kParams + u'.');
    if (const auto p = crawler::CrawlParams::fromJson(params); !p)
        return p.error();
    return Ok{};
}

Result<model::JobSpec> fromJson(const QJsonObject &body, Origin origin)
{
    QStringList unknown;
    for (auto it = body.begin(); it != body.end(); ++it)
        if (!knownFields().contains(it.key()))
            unknown << it.key();
    if (!unknown.isEmpty())
        return unknownKeys(unknown, knownFields());

    model::JobSpec spec;
    const auto params = present(body, kParams);
    if (!params)
        return params.error();
    if (!params->isUndefined() && !params->isObject())
        return bad(QStringLiteral("'params' must be a JSON object, got %1").arg(typeName(*params)));
    spec.params = params->toObject();

    for (const Field &f : fields()) {
        const auto value = f.seed ? seedField(body, spec.params, f.key) : present(body, f.key);
        if (!value)
            return value.error();
        if (value->isUndefined())
            continue;
        if (auto st = f.read(*value, spec); !st)
            return st.error();
    }
    if (origin == Origin::SeedStart && spec.params.value(kKeywords).toArray().isEmpty())
        return bad(QStringLiteral("'keywords' is required: a non-empty list of strings"));

    // `num_domains` is the name the seed's RunPod handler used.
    auto count = seedField(body, spec.params, kDomainCount);
    if (!count)
        return count.error();
    const auto alias = present(body, kNumDomains);
    if (!alias)
        return alias.error();
    if (!alias->isUndefined()) {
        if (!count->isUndefined() && laxInt(*count) != laxInt(*alias))
            return bad(QStringLiteral("'domain_count' and 'num_domains' differ; send one of them"));
        count = *alias;
    }
    const auto n =
        intField(*count, count->isUndefined() || body.contains(kDomainCount) ? kDomainCount : kNumDomains, 1, 100000);
    if (!n)
        return n.error();
    if (n.value())
        spec.params.insert(kDomainCount, *n.value());
    else if (origin == Origin::SeedStart)
        spec.params.insert(kDomainCount, kSeedDomainCount);

    if (waitsForExternalWorker(spec, origin))
        spec.params.insert(kProfile, kExternalProfile);

    struct Limit
    {
        const char *key;
        int min;
        int max;
        int *out;
    };
    for (const Limit &l :
         {Limit{"priority", -1000, 1000, &spec.priority}, Limit{"timeout_s", 0, 30 * 24 * 3600, &spec.timeoutS},
          Limit{"max_attempts", 1, 20, &spec.maxAttempts}}) {
        const QString key = QLatin1String(l.key);
        const auto v = present(body, key);
        if (!v)
            return v.error();
        const auto parsed = intField(*v, key, l.min, l.max);
        if (!parsed)
            return parsed.error();
        if (parsed.value())
            *l.out = *parsed.value();
    }
    return spec;
}

} // namespace cd::jobs
