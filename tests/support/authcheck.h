#pragma once

#include "stack.h"
#include "testutil.h"

#include <QJsonArray>

#include <gtest/gtest.h>

namespace cdtest {

// The WWW-Authenticate challenges: no credential, a bad one, and a good one without the right.
inline const QByteArray kChallenge = "Bearer realm=\"crawldeck\"";
inline const QByteArray kInvalid = "Bearer realm=\"crawldeck\", error=\"invalid_token\"";
inline const QByteArray kScope = "Bearer realm=\"crawldeck\", error=\"insufficient_scope\"";

// Starts a one-domain job of the "crawler" profile with Stack::kToken; its id.
inline QString startJob(Stack &st)
{
    const auto r = postJson(st.port(), "/api/crawler/start",
                            QJsonObject{{QStringLiteral("keywords"), QJsonArray{QStringLiteral("k")}},
                                        {QStringLiteral("domain_count"), 1},
                                        {QStringLiteral("profile"), QStringLiteral("crawler")}},
                            Stack::kToken);
    EXPECT_EQ(r.status, 200) << r.body.toStdString();
    return r.json().value(QStringLiteral("job_id")).toString();
}

} // namespace cdtest
