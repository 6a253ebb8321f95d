package intel

import "strings"

// The subset of CSAF 2.0 (https://docs.oasis-open.org/csaf/csaf/v2.0/) that
// Citadel reads. Unknown fields are ignored.

type csafDoc struct {
	Document struct {
		CSAFVersion string `json:"csaf_version"`
		Title       string `json:"title"`
		Tracking    struct {
			ID string `json:"id"`
		} `json:"tracking"`
	} `json:"document"`
	ProductTree *struct {
		Branches         []csafBranch  `json:"branches"`
		FullProductNames []csafProduct `json:"full_product_names"`
		Relationships    []struct {
			FullProductName  csafProduct `json:"full_product_name"`
			ProductReference string      `json:"product_reference"`
			RelatesTo        string      `json:"relates_to_product_reference"`
		} `json:"relationships"`
	} `json:"product_tree"`
	Vulnerabilities []csafVuln `json:"vulnerabilities"`
}

type csafBranch struct {
	Category string       `json:"category"`
	Name     string       `json:"name"`
	Product  *csafProduct `json:"product"`
	Branches []csafBranch `json:"branches"`
}

type csafProduct struct {
	ProductID string `json:"product_id"`
}

type csafVuln struct {
	CVE   string `json:"cve"`
	Title string `json:"title"`
	CWE   *struct {
		Name string `json:"name"`
	} `json:"cwe"`
	ProductStatus map[string][]string `json:"product_status"`
	Scores        []struct {
		CVSSv3 *struct {
			BaseScore    float64 `json:"baseScore"`
			VectorString string  `json:"vectorString"`
		} `json:"cvss_v3"`
	} `json:"scores"`
	Remediations []struct {
		Category   string   `json:"category"`
		Details    string   `json:"details"`
		ProductIDs []string `json:"product_ids"`
	} `json:"remediations"`
}

// Product status categories (CSAF 2.0 §3.2.3.9) by how Match uses them.
var (
	affectedStatus    = set("known_affected", "first_affected", "last_affected")
	notAffectedStatus = set("fixed", "first_fixed", "known_not_affected")
)

// csafProd is one product of a product tree, resolved to strings.
type csafProd struct {
	id                   string
	vendor, family, name string    // from the branch path
	versionCat, version  string    // "product_version" or "product_version_range", and its name
	relation             [2]string // product_reference, relates_to_product_reference
}

// collectProducts walks the product tree into products keyed by product_id.
func collectProducts(d *csafDoc) map[string]*csafProd {
	out := map[string]*csafProd{}
	if d.ProductTree == nil {
		return out
	}
	var walk func(bs []csafBranch, p csafProd)
	walk = func(bs []csafBranch, p csafProd) {
		for _, b := range bs {
			q := p
			switch b.Category {
			case "vendor":
				q.vendor = strings.TrimSpace(b.Name)
			case "product_family":
				q.family = strings.TrimSpace(b.Name)
			case "product_name":
				q.name = strings.TrimSpace(b.Name)
			case "product_version", "product_version_range":
				q.versionCat, q.version = b.Category, b.Name
			}
			if b.Product != nil && b.Product.ProductID != "" {
				q.id = b.Product.ProductID
				c := q
				out[c.id] = &c
			}
			walk(b.Branches, q)
		}
	}
	walk(d.ProductTree.Branches, csafProd{})
	for _, fp := range d.ProductTree.FullProductNames {
		if fp.ProductID != "" {
			out[fp.ProductID] = &csafProd{id: fp.ProductID}
		}
	}
	for _, r := range d.ProductTree.Relationships {
		if r.FullProductName.ProductID == "" {
			continue
		}
		out[r.FullProductName.ProductID] = &csafProd{
			id:       r.FullProductName.ProductID,
			relation: [2]string{r.ProductReference, r.RelatesTo},
		}
	}
	return out
}

// product is a CSAF product prepared for matching.
type product struct {
	vendor  vendorKey
	names   []nameKey
	rng     Range
	rngOK   bool   // rng parsed; an unparsed range never matches
	rngText string // for reports
}

// prepare turns csafProd p into a matchable product; relationship products
// (firmware "installed_on" a model) take their names from both sides and
// their version from the component side. It returns nil for a relationship
// that refers to an unknown product or to another relationship.
func prepare(p *csafProd, all map[string]*csafProd, title string) *product {
	src := []*csafProd{p}
	if p.relation[0] != "" {
		src = src[:0]
		for _, ref := range p.relation {
			q, ok := all[ref]
			if !ok || q.relation[0] != "" {
				return nil
			}
			src = append(src, q)
		}
	}
	out := &product{rng: Range{All: true}, rngOK: true}
	for _, q := range src {
		if out.vendor.toks == nil && q.vendor != "" {
			out.vendor = newVendorKey(q.vendor)
		}
	}
	for _, q := range src {
		for _, n := range []string{q.name, joinNonEmpty(q.family, q.name)} {
			if n == "" {
				continue
			}
			for _, a := range aliases(n) {
				k := newNameKey(a, out.vendor, false)
				if len(k.toks) == 0 && a == n {
					// A generic name such as "OS" or "Firmware": the
					// advisory title names the product line.
					for _, line := range titleLines(title, out.vendor) {
						if lk := newNameKey(line, out.vendor, true); len(lk.toks) > 0 {
							out.names = append(out.names, lk)
						}
					}
					continue
				}
				if len(k.toks) > 0 {
					out.names = append(out.names, k)
				}
			}
		}
	}
	// The version comes from the component (product_reference) when it has
	// one, else from the platform.
	for _, q := range src {
		if q.versionCat == "" {
			continue
		}
		out.rngText = q.version
		var err error
		if q.versionCat == "product_version" {
			out.rng, err = parseVersionList(q.version)
		} else {
			out.rng, err = ParseRange(q.version)
		}
		out.rngOK = err == nil
		break
	}
	return out
}

func joinNonEmpty(a, b string) string {
	if a == "" || b == "" {
		return ""
	}
	return a + " " + b
}
