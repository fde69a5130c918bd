#pragma once

#include "reply.h"
#include "request.h"

#include <QHttpServerRequest>
#include <QList>
#include <QString>

#include <functional>

namespace cd::http {

class Auth;

enum class Access {
    Open,    // anyone (health)
    Read,    // API token, or a loopback client when an operator opted in to trusting loopback
    Control, // API token
    Handler, // callbacks: the handler authenticates (against the job its body or path names), then
             // checks the query against Request::allowedQuery
};

using Handler = std::function<void(const Request &, Reply &&)>;

// Routing of the requests the listener framed: 404 and 405 with Allow, auth before the handler, and
// every route answers through a movable Reply so handlers can park it.
class Router
{
public:
    explicit Router(const Auth *auth) : m_auth(auth) {}

    // `pattern`: literal segments, `{}` for one captured segment, a final `{*}` for the rest.
    // `query`: the query parameters the route accepts (auth's own are always accepted); any other,
    // or one given twice, is refused with 400 before the handler runs, on every route.
    void add(QHttpServerRequest::Method method, const QString &pattern, Access access, const QStringList &query,
             Handler handler);
    // `fields`: the request's field lines in order (a credential sent twice is refused).
    void dispatch(Request &&req, const Headers &fields, Reply &&reply) const;
    // "METHOD /pattern" for every route, in registration order: the API docs are checked against it.
    QStringList routes() const;

private:
    struct Route
    {
        QHttpServerRequest::Method method;
        QStringList segments;
        Access access;
        QStringList query;
        Handler handler;
    };
    static bool match(const Route &route, const QStringList &path, QStringList *args);

    const Auth *m_auth;
    QList<Route> m_routes;
};

} // namespace cd::http
