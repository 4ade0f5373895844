package dev.sluice.gateway.deploy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.BindContext;
import org.springframework.boot.context.properties.bind.BindHandler;
import org.springframework.boot.context.properties.bind.BindMethod;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.convert.ApplicationConversionService;
import org.springframework.boot.origin.PropertySourceOrigin;
import org.springframework.context.annotation.ClassPathScanningCandidateComponentProvider;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.core.type.filter.AnnotationTypeFilter;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The application's settings, as the deployment files name them: environment variables checked against the
 * real {@code @ConfigurationProperties} records (by binding them, as Spring Boot does at startup) and against
 * the configuration metadata of Spring Boot and Sluice.
 */
final class Settings {

    /** Variables that are no Spring property but that the application or the JVM reads. */
    static final Set<String> PLATFORM = Set.of("DATABASE_URL", "REDIS_URL", "JAVA_TOOL_OPTIONS");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Z][A-Z0-9_]*");
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private Settings() {
    }

    /** {@code NAME=value} lines of an env file; {@code #NAME=value} lines too when {@code commented} (a documented setting left at its default). */
    static Map<String, String> readEnvFile(Path file, boolean commented) {
        Map<String, String> variables = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(file)) {
                String text = line.strip();
                if (commented && text.startsWith("#")) {
                    text = text.substring(1).strip();
                }
                int equals = text.indexOf('=');
                if (text.startsWith("#") || equals <= 0 || !ENV_NAME.matcher(text.substring(0, equals)).matches()) {
                    continue;
                }
                variables.put(text.substring(0, equals), text.substring(equals + 1));
            }
        }
        catch (IOException failure) {
            throw new UncheckedIOException(failure);
        }
        return variables;
    }

    /**
     * Binds every {@code @ConfigurationProperties} record of the application from these variables alone, as
     * Spring Boot would at startup (a record that rejects its values fails here), and answers the
     * {@code SLUICE_*} variables that no property took: a misspelt or stale setting.
     */
    static Set<String> unboundSluiceVariables(Map<String, String> environment) {
        SystemEnvironmentPropertySource source = new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, new HashMap<>(environment));
        Binder binder = new Binder(ConfigurationPropertySources.from(source), null,
                ApplicationConversionService.getSharedInstance());
        Set<String> bound = new HashSet<>();
        BindHandler recordOrigins = new BindHandler() {
            @Override
            public Object onSuccess(ConfigurationPropertyName name, Bindable<?> target, BindContext context, Object result) {
                ConfigurationProperty property = context.getConfigurationProperty();
                if (property != null && property.getOrigin() instanceof PropertySourceOrigin origin) {
                    bound.add(origin.getPropertyName());
                }
                return result;
            }
        };
        for (Class<?> type : propertiesTypes()) {
            ConfigurationProperties annotation = type.getAnnotation(ConfigurationProperties.class);
            String prefix = annotation.prefix().isEmpty() ? annotation.value() : annotation.prefix();
            binder.bind(prefix, Bindable.of(type).withBindMethod(BindMethod.VALUE_OBJECT), recordOrigins);
        }
        Set<String> unbound = new TreeSet<>();
        environment.keySet().stream().filter(name -> name.startsWith("SLUICE_")).filter(name -> !bound.contains(name))
                .forEach(unbound::add);
        return unbound;
    }

    /** Every {@code @ConfigurationProperties} class of the application. */
    static List<Class<?>> propertiesTypes() {
        ClassPathScanningCandidateComponentProvider scanner = new ClassPathScanningCandidateComponentProvider(false);
        scanner.addIncludeFilter(new AnnotationTypeFilter(ConfigurationProperties.class));
        List<Class<?>> types = new ArrayList<>();
        for (BeanDefinition candidate : scanner.findCandidateComponents("dev.sluice.gateway")) {
            try {
                types.add(Class.forName(candidate.getBeanClassName()));
            }
            catch (ClassNotFoundException impossible) {
                throw new IllegalStateException(impossible);
            }
        }
        return types;
    }

    /** Property names from every {@code META-INF/spring-configuration-metadata.json} on the classpath (Spring Boot's, Sluice's...). */
    static Set<String> metadataPropertyNames() {
        Set<String> names = new TreeSet<>();
        try {
            Enumeration<URL> files = Settings.class.getClassLoader().getResources("META-INF/spring-configuration-metadata.json");
            for (URL file : Collections.list(files)) {
                try (InputStream in = file.openStream()) {
                    JsonNode metadata = JSON.readTree(in);
                    metadata.path("properties").forEach(property -> names.add(property.path("name").asString()));
                }
            }
        }
        catch (IOException failure) {
            throw new UncheckedIOException(failure);
        }
        return names;
    }

    /** {@code spring.lifecycle.timeout-per-shutdown-phase} as its environment variable, {@code SPRING_LIFECYCLE_TIMEOUT_PER_SHUTDOWN_PHASE}. */
    static String environmentName(String property) {
        return property.replace('.', '_').replace('-', '_').replace("[", "").replace("]", "").toUpperCase(Locale.ROOT);
    }

    /**
     * Every setting of Sluice, as patterns of environment variable names: one per property in Sluice's
     * metadata, and for the named maps ({@code sluice.providers.<name>.*}...) one per component of the
     * record they hold, with any name in place of {@code <name>}.
     */
    static Map<String, Pattern> everySluiceSetting() {
        Map<String, Pattern> settings = new LinkedHashMap<>();
        for (Class<?> type : propertiesTypes()) {
            ConfigurationProperties annotation = type.getAnnotation(ConfigurationProperties.class);
            String prefix = annotation.prefix().isEmpty() ? annotation.value() : annotation.prefix();
            collect(environmentName(prefix), type, settings);
        }
        return settings;
    }

    private static void collect(String prefix, Class<?> type, Map<String, Pattern> settings) {
        for (RecordComponent component : type.getRecordComponents()) {
            String name = prefix + "_" + environmentName(kebab(component.getName()));
            Type generic = component.getGenericType();
            if (Map.class.isAssignableFrom(component.getType()) && generic instanceof ParameterizedType map
                    && map.getActualTypeArguments()[1] instanceof Class<?> value && value.isRecord()) {
                collect(name + "_<NAME>", value, settings);
            }
            else if (component.getType().isRecord()) {
                collect(name, component.getType(), settings);
            }
            else {
                settings.put(name, Pattern.compile(Pattern.quote(name).replace("<NAME>", "\\E[A-Z0-9_]+\\Q")));
            }
        }
    }

    private static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
    }
}
