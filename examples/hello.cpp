// The C++ flavour of hello.c: RAII wrappers around the C API, entities
// printed with their labels. Build against an installed libspacyc with:
//   c++ -std=c++17 hello.cpp $(pkg-config --cflags --libs spacyc)
#include <spacyc.h>

#include <cstring>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>

namespace {

struct NlpDeleter {
    void operator()(nlp_t *nlp) const { nlp_free(nlp); }
};

// Ends the zone when it goes out of scope, so results never outlive it by
// accident.
class Zone {
  public:
    explicit Zone(nlp_t *nlp) {
        if (nlp_memory_zone_begin(nlp, &zone_) != NLP_OK)
            throw std::runtime_error("cannot open a memory zone");
    }
    ~Zone() { nlp_memory_zone_end(zone_); }
    Zone(const Zone &) = delete;
    Zone &operator=(const Zone &) = delete;
    nlp_zone_t *get() const { return zone_; }

  private:
    nlp_zone_t *zone_ = nullptr;
};

} // namespace

int main(int argc, char **argv) {
    std::string text = argc > 1 ? argv[1] : "Tim Cook visited Berlin in May.";
    nlp_t *raw = nullptr;
    if (nlp_load_default(nullptr, &raw) != NLP_OK) {
        std::cerr << "load failed: " << nlp_error_detail() << "\n";
        return 1;
    }
    std::unique_ptr<nlp_t, NlpDeleter> nlp(raw);
    Zone zone(nlp.get());
    nlp_doc_t *doc = nullptr;
    if (nlp_parse(nlp.get(), zone.get(), text.data(), text.size(), &doc) != NLP_OK) {
        std::cerr << "parse failed\n";
        return 1;
    }
    const nlp_token_t *tokens;
    size_t n;
    nlp_doc_tokens(doc, &tokens, &n);
    const char *buf = nlp_doc_text(doc, nullptr);
    for (size_t i = 0; i < n; i++)
        std::cout << std::string(buf + tokens[i].idx, tokens[i].len) << '/'
                  << nlp_doc_str(doc, tokens[i].pos) << ' ';
    std::cout << '\n';
    const nlp_span_t *ents;
    size_t n_ents = 0;
    nlp_doc_ents(doc, &ents, &n_ents);
    for (size_t i = 0; i < n_ents; i++)
        std::cout << std::string(buf + ents[i].start_char, ents[i].end_char - ents[i].start_char)
                  << " -> " << nlp_doc_str(doc, ents[i].label) << '\n';
    return 0;
}
