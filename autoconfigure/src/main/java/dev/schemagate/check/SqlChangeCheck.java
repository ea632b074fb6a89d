package dev.schemagate.check;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import liquibase.change.AbstractSQLChange;
import liquibase.util.StringUtil;
import net.sf.jsqlparser.statement.alter.RenameTableStatement;
import net.sf.jsqlparser.statement.alter.sequence.AlterSequence;
import net.sf.jsqlparser.statement.create.sequence.CreateSequence;
import net.sf.jsqlparser.statement.create.view.AlterView;
import net.sf.jsqlparser.statement.create.view.CreateView;
import net.sf.jsqlparser.statement.truncate.Truncate;
import net.sf.jsqlparser.JSQLParserException;
import net.sf.jsqlparser.parser.CCJSqlParser;
import net.sf.jsqlparser.parser.CCJSqlParserConstants;
import net.sf.jsqlparser.parser.CCJSqlParserUtil;
import net.sf.jsqlparser.parser.Token;
import net.sf.jsqlparser.schema.Table;
import net.sf.jsqlparser.statement.Statement;
import net.sf.jsqlparser.statement.alter.Alter;
import net.sf.jsqlparser.statement.alter.AlterExpression;
import net.sf.jsqlparser.statement.alter.AlterExpression.ColumnDataType;
import net.sf.jsqlparser.statement.alter.AlterExpression.ColumnSetNotNull;
import net.sf.jsqlparser.statement.alter.AlterOperation;
import net.sf.jsqlparser.statement.create.index.CreateIndex;
import net.sf.jsqlparser.statement.create.table.CheckConstraint;
import net.sf.jsqlparser.statement.create.table.CreateTable;
import net.sf.jsqlparser.statement.create.table.ForeignKeyIndex;
import net.sf.jsqlparser.statement.delete.Delete;
import net.sf.jsqlparser.statement.drop.Drop;
import net.sf.jsqlparser.statement.insert.Insert;
import net.sf.jsqlparser.statement.merge.Merge;
import net.sf.jsqlparser.statement.update.Update;
import org.jspecify.annotations.Nullable;

/**
 * Checks the statements of a raw SQL change ({@code <sql>}, {@code <sqlFile>}, a formatted
 * SQL changelog) with JSqlParser, split as Liquibase splits them. A statement the parser
 * cannot read trips {@link Rule#UNCHECKED_SQL}: what it does is not known.
 */
final class SqlChangeCheck {

	private SqlChangeCheck() {
	}

	static void check(AbstractSQLChange change, ChangesetScan scan) {
		String sql;
		try {
			sql = StringUtil.trimToNull(change.getSql());
		}
		catch (RuntimeException ex) {
			scan.found(Rule.UNCHECKED_SQL, "has SQL that could not be read (" + ex.getMessage() + ")");
			return;
		}
		if (sql == null) {
			return;
		}
		String[] statements = StringUtil.processMultiLineSQL(sql.replace("\r\n", "\n"),
				Boolean.TRUE.equals(change.isStripComments()), !Boolean.FALSE.equals(change.isSplitStatements()),
				change.getEndDelimiter(), scan.changeSet());
		for (String statement : statements) {
			if (StringUtil.trimToNull(statement) == null) {
				continue;
			}
			Parsed.check(statement, scan);
		}
	}

	static String excerpt(String statement) {
		String line = statement.strip().replaceAll("\\s+", " ");
		return "'" + ((line.length() > 80) ? line.substring(0, 77) + "..." : line) + "'";
	}

	/**
	 * The statement as JSqlParser reads it.
	 */
	private static final class Parsed {

		static void check(String sql, ChangesetScan scan) {
			NotValid notValid = NotValid.of(sql);
			Statement statement;
			try {
				statement = CCJSqlParserUtil.parse(notValid.sql());
			}
			catch (JSQLParserException | RuntimeException ex) {
				scan.found(Rule.UNCHECKED_SQL, "runs " + excerpt(sql) + ", which the check cannot read");
				return;
			}
			if (statement instanceof CreateTable || statement instanceof Drop || statement instanceof CreateIndex
					|| statement instanceof Alter || statement instanceof CreateView || statement instanceof AlterView
					|| statement instanceof Truncate || statement instanceof RenameTableStatement
					|| statement instanceof CreateSequence || statement instanceof AlterSequence) {
				scan.ddl(excerpt(sql));
			}
			if (statement instanceof CreateTable create) {
				scan.created(name(create.getTable()));
			}
			else if (statement instanceof Drop drop) {
				if ("TABLE".equalsIgnoreCase(drop.getType())) {
					String table = name(drop.getName());
					if (scan.existing(table)) {
						scan.dropsTable(table);
					}
					scan.schemaChanged(table);
				}
			}
			else if (statement instanceof CreateIndex index) {
				String table = name(index.getTable());
				if (scan.existing(table) && !index.isConcurrently()) {
					scan.createsIndexWithoutConcurrently(index.getIndex().getName(), table);
				}
				scan.schemaChanged(table);
			}
			else if (statement instanceof Alter alter) {
				check(alter, notValid, scan);
			}
			else if (statement instanceof Insert insert) {
				scan.dataChanged(name(insert.getTable()));
			}
			else if (statement instanceof Update update) {
				scan.dataChanged(name(update.getTable()));
			}
			else if (statement instanceof Delete delete) {
				scan.dataChanged(name(delete.getTable()));
			}
			else if (statement instanceof Merge merge) {
				scan.dataChanged(name(merge.getTable()));
			}
		}

		private static void check(Alter alter, NotValid notValid, ChangesetScan scan) {
			String table = name(alter.getTable());
			scan.schemaChanged(table);
			if (!scan.existing(table)) {
				// a new table stays new under its new name
				alter.getAlterExpressions()
					.stream()
					.filter((action) -> action.getOperation() == AlterOperation.RENAME_TABLE)
					.forEach((action) -> scan.created(action.getNewTableName()));
				return;
			}
			List<AlterExpression> actions = alter.getAlterExpressions();
			for (int i = 0; i < actions.size(); i++) {
				AlterExpression action = actions.get(i);
				AlterOperation operation = action.getOperation();
				if (operation == AlterOperation.DROP && action.getColumnName() != null) {
					scan.dropsColumn(table, action.getColumnName());
				}
				else if (operation == AlterOperation.RENAME && action.getColumnOldName() != null) {
					scan.renamesColumn(table, action.getColumnOldName(), action.getColumnName());
				}
				else if (operation == AlterOperation.RENAME_TABLE) {
					scan.renamesTable(table, action.getNewTableName());
				}
				else if (operation == AlterOperation.ADD && action.getIndex() instanceof ForeignKeyIndex foreignKey
						&& !notValid.of(i)) {
					scan.addsForeignKeyWithoutNotValid(foreignKey.getName(), table);
				}
				else if (operation == AlterOperation.ADD && action.getIndex() instanceof CheckConstraint check
						&& !notValid.of(i)) {
					scan.addsCheckConstraintWithoutNotValid(check.getName(), table);
				}
				else if (operation == AlterOperation.ADD && action.getColDataTypeList() != null) {
					for (ColumnDataType column : action.getColDataTypeList()) {
						if (notNullWithoutDefault(column.getColumnSpecs())) {
							scan.addsNotNullColumnWithoutDefault(table, column.getColumnName());
						}
					}
				}
				else if ((operation == AlterOperation.ALTER || operation == AlterOperation.MODIFY)
						&& action.getColDataTypeList() != null) {
					for (ColumnDataType column : action.getColDataTypeList()) {
						if (column.getColDataType() != null) {
							scan.changesType(table, column.getColumnName(), column.getColDataType());
						}
					}
				}
				if (operation == AlterOperation.ALTER && action.getColumnSetNotNullList() != null) {
					for (ColumnSetNotNull column : action.getColumnSetNotNullList()) {
						scan.setsNotNull(table, column.getColumnName());
					}
				}
			}
		}

		private static boolean notNullWithoutDefault(@Nullable List<String> specs) {
			if (specs == null) {
				return false;
			}
			List<String> words = specs.stream().map((spec) -> spec.toUpperCase(Locale.ROOT)).toList();
			boolean notNull = false;
			for (int i = 0; i + 1 < words.size(); i++) {
				notNull |= words.get(i).equals("NOT") && words.get(i + 1).equals("NULL");
			}
			return notNull && !words.contains("DEFAULT");
		}

		private static String name(Table table) {
			return table.getName();
		}

	}

	/**
	 * PostgreSQL's {@code NOT VALID} after a constraint an {@code ALTER TABLE} adds, which
	 * JSqlParser's grammar lacks: found among the statement's tokens, as JSqlParser's own
	 * lexer reads them (so never inside a literal or a comment), and taken out of the text
	 * it parses, with the number of each action it ended.
	 */
	private record NotValid(String sql, Set<Integer> actions) {

		static NotValid of(String sql) {
			List<Token> tokens = new ArrayList<>();
			try {
				CCJSqlParser lexer = new CCJSqlParser(sql);
				for (Token token = lexer.getNextToken(); token.kind != CCJSqlParserConstants.EOF; token = lexer
					.getNextToken()) {
					tokens.add(token);
				}
			}
			catch (Exception | Error ex) {
				return new NotValid(sql, Set.of());
			}
			if (tokens.size() < 2 || !is(tokens.get(0), "ALTER") || !is(tokens.get(1), "TABLE")) {
				return new NotValid(sql, Set.of());
			}
			Set<Integer> actions = new HashSet<>();
			int depth = 0;
			int action = 0;
			List<int[]> cuts = new ArrayList<>();
			for (int i = 0; i < tokens.size(); i++) {
				Token token = tokens.get(i);
				if (token.image.equals("(")) {
					depth++;
				}
				else if (token.image.equals(")")) {
					depth--;
				}
				else if (depth == 0 && token.image.equals(",")) {
					action++;
				}
				else if (depth == 0 && is(token, "NOT") && i + 1 < tokens.size() && is(tokens.get(i + 1), "VALID")
						&& (i + 2 == tokens.size() || tokens.get(i + 2).image.equals(",")
								|| tokens.get(i + 2).image.equals(";"))) {
					actions.add(action);
					cuts.add(new int[] { token.absoluteBegin - 1, tokens.get(i + 1).absoluteEnd - 1 });
				}
			}
			StringBuilder remaining = new StringBuilder(sql);
			// last first, so that each cut leaves the offsets of earlier ones as they were
			for (int i = cuts.size() - 1; i >= 0; i--) {
				remaining.delete(cuts.get(i)[0], cuts.get(i)[1]);
			}
			return new NotValid(remaining.toString(), actions);
		}

		boolean of(int action) {
			return this.actions.contains(action);
		}

		private static boolean is(Token token, String word) {
			return token.image.equalsIgnoreCase(word);
		}

	}

}
