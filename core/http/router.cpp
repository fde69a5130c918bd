#include "router.h"

#include "auth.h"

namespace cd::http {

using Method = QHttpServerRequest::Method;
using Code = Error::Code;

namespace {
QByteArray methodName(Method m)
{
    switch (m) {
    case Method::Get: return "GET";
    case Method::Post: return "POST";
    case Method::Put: return "PUT";
    case Method::Delete: return "DELETE";
    case Method::Patch: return "PATCH";
    case Method::Head: return "HEAD";
    case Method::Options: return "OPTIONS";
    default: break;
    }
    return "OTHER";
}
} // namespace

void Router::add(Method method, const QString &pattern, Access access, const QStringList &query, Handler handler)
{
    m_routes.append(Route{method, pattern.split(u'/', Qt::SkipEmptyParts), access, query, std::move(handler)});
}

QStringList Router::routes() const
{
    QStringList out;
    for (const Route &r : m_routes)
        out << QString::fromLatin1(methodName(r.method)) + QStringLiteral(" /") + r.segments.join(u'/');
    return out;
}

bool Router::match(const Route &route, const QStringList &path, QStringList *args)
{
    args->clear();
    for (qsizetype i = 0; i < route.segments.size(); ++i) {
        const QString &seg = route.segments.at(i);
        if (seg == u"{*}") {
            if (i >= path.size())
                return false;
            QStringList rest;
            for (qsizetype j = i; j < path.size(); ++j)
                rest << QUrl::fromPercentEncoding(path.at(j).toUtf8());
            args->append(rest.join(u'/'));
            return true;
        }
        if (i >= path.size())
            return false;
        if (seg == u"{}")
            args->append(QUrl::fromPercentEncoding(path.at(i).toUtf8()));
        else if (seg != path.at(i))
            return false;
    }
    return route.segments.size() == path.size();
}

void Router::dispatch(Request &&req, const Headers &fields, Reply &&reply) const
{
    if (req.header(QByteArrayLiteral("connection")).toLower().contains("close"))
        reply.setCloseAfter(true);
    // HEAD is GET without a body.
    const bool head = req.method == Method::Head;
    if (head) {
        req.method = Method::Get;
        reply.setHeadOnly(true);
    }
    // Credentials come first, before the route is even looked up: an ambiguous one is refused
    // whatever the request was for.
    if (const auto denial = Auth::ambiguous(fields, req.query)) {
        Auth::refuse(reply, *denial);
        return;
    }
    const QStringList path = req.path.split(u'/', Qt::SkipEmptyParts);
    QByteArrayList allowed;
    for (const Route &r : m_routes) {
        QStringList args;
        if (!match(r, path, &args))
            continue;
        if (r.method != req.method) {
            allowed << methodName(r.method);
            continue;
        }
        req.args = args;
        // Every route's first captured segment is a job id.
        std::optional<Denial> denial;
        if (r.access == Access::Control)
            denial = m_auth->control(req, args.value(0));
        else if (r.access == Access::Read)
            denial = m_auth->read(req, args.value(0));
        if (denial) {
            Auth::refuse(reply, *denial);
            return;
        }
        // A handler that authenticates checks the query itself, after the credential: a made-up
        // token must learn nothing, not even that a parameter is wrong.
        req.allowedQuery = r.query;
        if (r.access != Access::Handler) {
            if (auto st = req.checkQuery(r.query); !st) {
                reply.error(st.error());
                return;
            }
        }
        r.handler(req, std::move(reply));
        return;
    }
    if (allowed.contains("GET"))
        allowed << "HEAD";
    if (!allowed.isEmpty()) {
        reply.error(Error::make(Code::MethodNotAllowed, QStringLiteral("%1 is not allowed on %2; use %3")
                                                            .arg(QString::fromLatin1(methodName(req.method)), req.path,
                                                                 QString::fromLatin1(allowed.join(", ")))),
                    {{QByteArrayLiteral("Allow"), allowed.join(", ")}});
        return;
    }
    reply.error(Error::make(Code::NotFound, QStringLiteral("no route for %1").arg(req.path)));
}

} // namespace cd::http
