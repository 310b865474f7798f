//! Routes live in the URL fragment (`#/karel`), so they survive a reload on any static server,
//! under any sub-path, with no server-side rewrite rules.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Sgp,
    Karel,
    Models,
    About,
    /// The benchmark page (`scripts/browser_bench.mjs` drives it), reachable only by its address.
    Bench,
}

impl Tab {
    /// The tabs of the navigation bar.
    pub const ALL: [Tab; 4] = [Tab::Sgp, Tab::Karel, Tab::Models, Tab::About];
    /// Pages with an address but no tab.
    const HIDDEN: [Tab; 1] = [Tab::Bench];

    pub fn slug(self) -> &'static str {
        match self {
            Tab::Sgp => "sgp",
            Tab::Karel => "karel",
            Tab::Models => "models",
            Tab::About => "about",
            Tab::Bench => "bench",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Tab::Sgp => "SGP-Bench",
            Tab::Karel => "Karel",
            Tab::Models => "Models",
            Tab::About => "About",
            Tab::Bench => "Benchmark",
        }
    }

    pub fn href(self) -> String {
        format!("#/{}", self.slug())
    }
}

/// Where the fragment points: a tab, and whatever follows it (a pane's own state, e.g. a share link).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub tab: Tab,
    pub rest: String,
}

impl Route {
    /// Unknown or empty fragments land on the SGP-Bench tab rather than an error page.
    pub fn parse(fragment: &str) -> Route {
        let path = fragment.trim_start_matches('#').trim_start_matches('/');
        let (head, rest) = path.split_once('/').unwrap_or((path, ""));
        let tab = Tab::ALL.into_iter().chain(Tab::HIDDEN).find(|t| t.slug() == head).unwrap_or(Tab::Sgp);
        let rest = if tab.slug() == head { rest.to_string() } else { String::new() };
        Route { tab, rest }
    }

    pub fn current() -> Route {
        let hash = web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default();
        Route::parse(&hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_fragment_opens_sgp() {
        assert_eq!(Route::parse(""), Route { tab: Tab::Sgp, rest: String::new() });
        assert_eq!(Route::parse("#"), Route { tab: Tab::Sgp, rest: String::new() });
    }

    #[test]
    fn tab_slugs_round_trip() {
        for tab in Tab::ALL {
            assert_eq!(Route::parse(&tab.href()).tab, tab);
        }
    }

    #[test]
    fn pane_state_follows_the_tab() {
        assert_eq!(Route::parse("#/karel/s=abc/def").rest, "s=abc/def");
    }

    #[test]
    fn the_benchmark_page_has_an_address_but_no_tab() {
        let route = Route::parse("#/bench/model=m.gguf&decode-tokens=8");
        assert_eq!(route, Route { tab: Tab::Bench, rest: "model=m.gguf&decode-tokens=8".into() });
        assert!(!Tab::ALL.contains(&Tab::Bench));
    }

    #[test]
    fn unknown_tab_falls_back_without_leaking_its_state() {
        assert_eq!(Route::parse("#/nonsense/x"), Route { tab: Tab::Sgp, rest: String::new() });
    }
}
