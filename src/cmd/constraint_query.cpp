/* constraint_query.cpp - RFC 35 constraint query -> RFC 31 object (see
 * constraint_query.h).  A small recursive-descent parser:
 *   or   := and { ("|" | "||" | "or") and }
 *   and  := unary { ["&" | "&&" | "and"] unary }
 *   unary:= "not" unary | "(" or ")" | ["-"] TERM
 * AND-ed property terms merge into one {"properties": [...]}, as Flux does.
 */
#include "constraint_query.h"

#include <cerrno>
#include <cstring>

#include "hostlist/hostlist.h"
#include "idset/idset.h"

namespace fluxcmd {

namespace {

struct Token {
    enum Kind { word, lparen, rparen, op_and, op_or, op_not, end } kind = end;
    std::string text;   /* word: the term, quotes removed */
    bool negated = false; /* word written "-TERM" */
};

class Parser {
  public:
    explicit Parser(const std::string &q) : q_(q) {}

    flux::Result<flux::JsonPtr> parse()
    {
        if (auto e = tokenize(); !e.empty())
            return fail(e);
        if (toks_.size() == 1)
            return fail("empty constraint");
        auto r = parse_or();
        if (!r)
            return r;
        if (toks_[pos_].kind != Token::end)
            return fail("unexpected '" + toks_[pos_].text + "'");
        return r;
    }

  private:
    const std::string &q_;
    std::vector<Token> toks_;
    size_t pos_ = 0;

    flux::Error fail(const std::string &why) const
    {
        return flux::make_error(EINVAL, "--requires: " + why + " in '" + q_ + "'");
    }

    std::string tokenize()
    {
        size_t i = 0, n = q_.size();
        while (i < n) {
            char c = q_[i];
            if (isspace((unsigned char)c)) {
                i++;
                continue;
            }
            Token t;
            if (c == '(' || c == ')') {
                t.kind = c == '(' ? Token::lparen : Token::rparen;
                t.text = std::string(1, c);
                i++;
            }
            else if (c == '&' || c == '|') {
                t.kind = c == '&' ? Token::op_and : Token::op_or;
                t.text = std::string(1, c);
                i += (i + 1 < n && q_[i + 1] == c) ? 2 : 1;
            }
            else {
                bool quoted = false;
                if (c == '-') {
                    t.negated = true;
                    i++;
                    if (i >= n || isspace((unsigned char)q_[i]) || strchr("()&|", q_[i]))
                        return "'-' must be followed by a term (-(a|b) is not supported)";
                }
                while (i < n && !isspace((unsigned char)q_[i]) && !strchr("()&|", q_[i])) {
                    if (q_[i] == '\'' || q_[i] == '"') {
                        size_t close = q_.find(q_[i], i + 1);
                        if (close == std::string::npos)
                            return std::string("unterminated quote ") + q_[i];
                        t.text += q_.substr(i + 1, close - i - 1);
                        i = close + 1;
                        quoted = true;
                        continue;
                    }
                    t.text += q_[i++];
                }
                t.kind = Token::word;
                if (!quoted && !t.negated) {
                    if (t.text == "and")
                        t.kind = Token::op_and;
                    else if (t.text == "or")
                        t.kind = Token::op_or;
                    else if (t.text == "not")
                        t.kind = Token::op_not;
                }
            }
            toks_.push_back(std::move(t));
        }
        toks_.push_back(Token{Token::end, "end of input", false});
        return "";
    }

    static json_t *op1(const char *op, json_t *arg)
    {
        return json_pack("{s:[o]}", op, arg);
    }

    /* The AND of ITEMS (stolen), property terms merged. */
    static json_t *conjunction(std::vector<json_t *> &items)
    {
        json_t *props = nullptr;
        json_t *all = json_array();
        for (json_t *o : items) {
            json_t *p = json_object_size(o) == 1 ? json_object_get(o, "properties") : nullptr;
            if (p && props) {
                json_array_extend(props, p);
                json_decref(o);
                continue;
            }
            if (p)
                props = p;
            json_array_append_new(all, o);
        }
        items.clear();
        if (json_array_size(all) == 1) {
            json_t *one = json_incref(json_array_get(all, 0));
            json_decref(all);
            return one;
        }
        return json_pack("{s:o}", "and", all);
    }

    flux::Result<flux::JsonPtr> parse_or()
    {
        std::vector<flux::JsonPtr> any;
        while (true) {
            auto a = parse_and();
            if (!a)
                return a;
            any.push_back(std::move(*a));
            if (toks_[pos_].kind != Token::op_or)
                break;
            pos_++;
        }
        if (any.size() == 1)
            return std::move(any[0]);
        json_t *arr = json_array();
        for (auto &a : any)
            json_array_append_new(arr, a.release());
        return flux::JsonPtr(json_pack("{s:o}", "or", arr));
    }

    flux::Result<flux::JsonPtr> parse_and()
    {
        std::vector<flux::JsonPtr> all;
        while (true) {
            auto u = parse_unary();
            if (!u)
                return u;
            all.push_back(std::move(*u));
            Token::Kind k = toks_[pos_].kind;
            if (k == Token::op_and)
                pos_++;
            else if (k != Token::word && k != Token::lparen && k != Token::op_not)
                break;
        }
        std::vector<json_t *> items;
        for (auto &a : all)
            items.push_back(a.release());
        return flux::JsonPtr(conjunction(items));
    }

    flux::Result<flux::JsonPtr> parse_unary()
    {
        const Token &t = toks_[pos_];
        switch (t.kind) {
            case Token::op_not: {
                pos_++;
                auto u = parse_unary();
                if (!u)
                    return u;
                return flux::JsonPtr(op1("not", u->release()));
            }
            case Token::lparen: {
                pos_++;
                auto e = parse_or();
                if (!e)
                    return e;
                if (toks_[pos_].kind != Token::rparen)
                    return fail("missing ')'");
                pos_++;
                return e;
            }
            case Token::word: {
                pos_++;
                auto term = parse_term(t.text);
                if (!term || !t.negated)
                    return term;
                return flux::JsonPtr(op1("not", term->release()));
            }
            default:
                return fail(t.kind == Token::end ? "expected a term at the end"
                                                 : "expected a term before '" + t.text + "'");
        }
    }

    flux::Result<flux::JsonPtr> parse_term(const std::string &term) const
    {
        size_t colon = term.find(':');
        std::string op = colon == std::string::npos ? "properties" : term.substr(0, colon);
        std::string val = colon == std::string::npos ? term : term.substr(colon + 1);
        auto bad = [&](const std::string &why) {
            return flux::make_error(EINVAL, "--requires: " + why + " in term '" + term + "'");
        };
        if (val.empty())
            return bad("empty operand");
        if (op == "properties") {
            json_t *names = json_array();
            size_t start = 0;
            while (true) {
                size_t comma = val.find(',', start);
                std::string name = val.substr(start, comma == std::string::npos
                                                         ? std::string::npos
                                                         : comma - start);
                if (name.empty() || name == "^") {
                    json_decref(names);
                    return bad("empty property name");
                }
                json_array_append_new(names, json_string(name.c_str()));
                if (comma == std::string::npos)
                    break;
                start = comma + 1;
            }
            return flux::JsonPtr(json_pack("{s:o}", "properties", names));
        }
        if (op == "host" || op == "hosts" || op == "hostlist") {
            std::string err;
            if (!flux::Hostlist::parse(val, &err))
                return bad("invalid hostlist '" + val + "'" + (err.empty() ? "" : ": " + err));
            return flux::JsonPtr(json_pack("{s:[s]}", "hostlist", val.c_str()));
        }
        if (op == "rank" || op == "ranks") {
            std::string err;
            if (!flux::IdSet::parse(val, &err))
                return bad("invalid idset of ranks '" + val + "'");
            return flux::JsonPtr(json_pack("{s:[s]}", "ranks", val.c_str()));
        }
        return bad("unknown operator '" + op
                   + "' (expected properties, host, hosts, hostlist, rank or ranks)");
    }
};

} // namespace

flux::Result<flux::JsonPtr> constraint_query_parse(const std::string &query)
{
    return Parser(query).parse();
}

flux::Result<flux::JsonPtr> constraint_query_all(const std::vector<std::string> &queries)
{
    std::vector<flux::JsonPtr> all;
    for (const auto &q : queries) {
        auto c = constraint_query_parse(q);
        if (!c)
            return c;
        all.push_back(std::move(*c));
    }
    if (all.size() == 1)
        return std::move(all[0]);
    json_t *arr = json_array();
    for (auto &a : all)
        json_array_append_new(arr, a.release());
    return flux::JsonPtr(json_pack("{s:o}", "and", arr));
}

} // namespace fluxcmd
